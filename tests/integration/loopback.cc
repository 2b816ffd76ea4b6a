#include "loopback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

namespace sockwatch::it {
namespace {

std::string Errno(const std::string& what) {
  return what + ": " + strerror(errno);
}

// Fills a sockaddr for a numeric address; false when it is not one.
bool MakeAddress(const std::string& address, uint16_t port,
                 sockaddr_storage* storage, socklen_t* length) {
  memset(storage, 0, sizeof(*storage));
  auto* v4 = reinterpret_cast<sockaddr_in*>(storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(storage);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *length = sizeof(*v4);
    return true;
  }
  if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *length = sizeof(*v6);
    return true;
  }
  return false;
}

bool SetBlocking(int fd, bool blocking) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  return fcntl(fd, F_SETFL,
               blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK) == 0;
}

// poll() for `events` within the deadline; the returned revents, 0 on
// timeout.
short PollFor(int fd, short events, const Deadline& deadline) {
  for (int round = 0; round < 1000 && !deadline.Expired(); ++round) {
    pollfd p = {fd, events, 0};
    const int ready =
        poll(&p, 1, static_cast<int>(deadline.Remaining().count()));
    if (ready > 0) return p.revents;
    if (ready < 0 && errno != EINTR) return POLLERR;
  }
  return 0;
}

}  // namespace

const char* LoopbackAddress(bool ipv6) { return ipv6 ? "::1" : "127.0.0.1"; }

int BoundSocket(const std::string& address, uint16_t port, bool v6only,
                int rcvbuf, std::string* error) {
  sockaddr_storage addr;
  socklen_t length = 0;
  if (!MakeAddress(address, port, &addr, &length)) {
    *error = "not a numeric address: " + address;
    return -1;
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = Errno("socket");
    return -1;
  }
  const int one = 1;
  const int v6 = v6only ? 1 : 0;
  bool ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0;
  if (ok && addr.ss_family == AF_INET6) {
    ok = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6)) == 0;
  }
  if (ok && rcvbuf > 0) {
    ok = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == 0;
  }
  if (!ok || bind(fd, reinterpret_cast<sockaddr*>(&addr), length) != 0) {
    *error = Errno("bind " + address + " port " + std::to_string(port));
    close(fd);
    return -1;
  }
  return fd;
}

int ConnectTo(const std::string& address, uint16_t port, bool wait, int rcvbuf,
              milliseconds budget, std::string* error) {
  sockaddr_storage addr;
  socklen_t length = 0;
  if (!MakeAddress(address, port, &addr, &length)) {
    *error = "not a numeric address: " + address;
    return -1;
  }
  const int fd =
      socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *error = Errno("socket");
    return -1;
  }
  if (rcvbuf > 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) != 0) {
    *error = Errno("SO_RCVBUF");
    close(fd);
    return -1;
  }
  const std::string target = address + " port " + std::to_string(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), length) != 0 &&
      errno != EINPROGRESS) {
    *error = Errno("connect " + target);
    close(fd);
    return -1;
  }
  if (!wait) return fd;
  const short revents = PollFor(fd, POLLOUT, Deadline(budget));
  int so_error = 0;
  socklen_t so_length = sizeof(so_error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_length);
  if (revents == 0 || so_error != 0 || !SetBlocking(fd, true)) {
    *error = "connect " + target + ": " +
             (revents == 0 ? "timed out" : strerror(so_error));
    close(fd);
    return -1;
  }
  return fd;
}

int AcceptWithin(int listener, milliseconds budget, std::string* error) {
  if (!(PollFor(listener, POLLIN, Deadline(budget)) & POLLIN)) {
    *error = "accept: nothing to accept within " +
             std::to_string(budget.count()) + " ms";
    return -1;
  }
  const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) *error = Errno("accept");
  return fd;
}

std::string WriteBytes(int fd, size_t bytes, milliseconds budget) {
  const std::vector<char> data(bytes, 'x');
  size_t done = 0;
  const Deadline deadline(budget);
  for (int round = 0; round < 10000 && done < bytes; ++round) {
    if (!(PollFor(fd, POLLOUT, deadline) & POLLOUT)) break;
    const ssize_t n = send(fd, data.data() + done, bytes - done, MSG_NOSIGNAL);
    if (n < 0 && errno != EINTR && errno != EAGAIN) return Errno("send");
    if (n > 0) done += n;
  }
  return done == bytes ? ""
                       : "wrote only " + std::to_string(done) + " of " +
                             std::to_string(bytes) + " bytes";
}

std::string FillUntilBlocked(int fd, milliseconds budget, uint64_t* written) {
  constexpr int kQuietRounds = 10;  // 10 x 20 ms without progress
  constexpr uint64_t kLimit = 256 << 20;
  if (!SetBlocking(fd, false)) return Errno("O_NONBLOCK");
  const std::vector<char> chunk(16384, 'f');
  const Deadline deadline(budget);
  *written = 0;
  int quiet = 0;
  for (int round = 0; round < 100000 && quiet < kQuietRounds; ++round) {
    if (deadline.Expired() || *written > kLimit) {
      return "the peer kept reading: wrote " + std::to_string(*written) +
             " bytes without filling its window";
    }
    const ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      *written += n;
      quiet = 0;
    } else if (n < 0 && errno == EAGAIN) {
      ++quiet;
      std::this_thread::sleep_for(milliseconds(20));
    } else if (n < 0 && errno != EINTR) {
      return Errno("send");
    }
  }
  return SetBlocking(fd, true) ? "" : Errno("O_NONBLOCK off");
}

std::string WaitEof(int fd, milliseconds budget) {
  const Deadline deadline(budget);
  char byte;
  for (int round = 0; round < 1000; ++round) {
    if (!(PollFor(fd, POLLIN, deadline) & (POLLIN | POLLHUP))) break;
    const ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);
    if (n == 0) return "";
    if (n > 0) return "unexpected data before EOF";
    if (errno != EAGAIN && errno != EINTR) return Errno("recv");
  }
  return "no EOF within " + std::to_string(budget.count()) + " ms";
}

std::string WaitPeerHalfClosed(int fd, milliseconds budget) {
  return PollFor(fd, POLLRDHUP, Deadline(budget)) & POLLRDHUP
             ? ""
             : "peer did not half-close within " +
                   std::to_string(budget.count()) + " ms";
}

uint16_t LocalPort(int fd) {
  sockaddr_storage addr;
  socklen_t length = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    return 0;
  }
  if (addr.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

}  // namespace sockwatch::it
