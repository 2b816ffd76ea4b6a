#include "attribution_agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "loopback.h"

namespace sockwatch::it {
namespace {

constexpr milliseconds kCallBudget(10000);
constexpr milliseconds kStep(5000);
constexpr int kMaxRequests = 10000;
constexpr int kControlFd = 3;
constexpr size_t kMaxMessage = 512;

uint16_t RemotePort(int fd) {
  sockaddr_storage addr;
  socklen_t length = sizeof(addr);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    return 0;
  }
  return addr.ss_family == AF_INET
             ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
             : ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

size_t ThreadCount() {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       !ec && it != std::filesystem::directory_iterator() && n < 100000;
       it.increment(ec)) {
    ++n;
  }
  return n;
}

// The agent's side: one request in, one reply out.
class Server {
 public:
  std::string Handle(const std::string& request) {
    std::istringstream in(request);
    std::string verb;
    long a = -1, b = -1;
    in >> verb >> a >> b;
    std::string error;
    if (verb == "ping") return "ok";
    if (verb == "listen") {
      const int fd = BoundSocket("127.0.0.1", a, true, 0, &error);
      if (fd < 0) return "error " + error;
      if (listen(fd, 128) != 0) return "error listen: " + Errno();
      listeners_[a] = fd;
      return "ok " + std::to_string(fd);
    }
    if (verb == "connect") {
      const int fd = ConnectTo("127.0.0.1", a, true, 0, kStep, &error);
      if (fd < 0) return "error " + error;
      return "ok " + std::to_string(fd) + " " + std::to_string(LocalPort(fd)) +
             " " + std::to_string(RemotePort(fd));
    }
    if (verb == "accept") {
      auto it = listeners_.find(a);
      if (it == listeners_.end()) return "error no listener on that port";
      const int fd = AcceptWithin(it->second, kStep, &error);
      if (fd < 0) return "error " + error;
      return "ok " + std::to_string(fd) + " " + std::to_string(LocalPort(fd)) +
             " " + std::to_string(RemotePort(fd));
    }
    if (verb == "write") {
      error = WriteBytes(a, b, kStep);
    } else if (verb == "hup") {
      error = WaitPeerHalfClosed(a, kStep);
    } else if (verb == "eof") {
      error = WaitEof(a, kStep);
    } else if (verb == "shutdown") {
      if (shutdown(a, SHUT_WR) != 0) error = Errno();
    } else if (verb == "close") {
      if (close(a) != 0) error = Errno();
    } else {
      return "error unknown request: " + request;
    }
    return error.empty() ? "ok" : "error " + error;
  }

 private:
  static std::string Errno() { return strerror(errno); }
  std::map<long, int> listeners_;
};

[[noreturn]] void RunAgent(const std::string& name, int max_fds, int control,
                           pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  prctl(PR_SET_NAME, name.c_str());
  rlimit limit;
  if (max_fds > 0 && getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = static_cast<rlim_t>(max_fds);
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(2);
  }
  const int null_fd = open("/dev/null", O_RDWR);
  if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 ||
      dup2(control, kControlFd) < 0) {
    _exit(3);
  }
  // Only 0, 1, 2 and the control socket stay.
  syscall(SYS_close_range, kControlFd + 1, ~0U, 0);
  Server server;
  const Deadline deadline(
      std::chrono::duration_cast<milliseconds>(Agent::kMaxLifetime));
  char buffer[kMaxMessage];
  for (int i = 0; i < kMaxRequests && !deadline.Expired(); ++i) {
    pollfd p = {kControlFd, POLLIN, 0};
    const int ready =
        poll(&p, 1, static_cast<int>(deadline.Remaining().count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    const ssize_t n = recv(kControlFd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;  // the test closed its end (or died)
    const std::string reply = server.Handle(std::string(buffer, n));
    if (send(kControlFd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) break;
  }
  _exit(0);
}

}  // namespace

std::unique_ptr<Agent> Agent::Start(const std::string& name, int max_fds,
                                    std::string* error) {
  if (name.empty() || name.size() > 15) {
    *error = "agent name must have 1 to 15 characters: " + name;
    return nullptr;
  }
  if (const size_t threads = ThreadCount(); threads != 1) {
    *error = "cannot fork an agent from a process with " +
             std::to_string(threads) + " threads";
    return nullptr;
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    *error = std::string("socketpair: ") + strerror(errno);
    return nullptr;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    close(pair[0]);
    RunAgent(name, max_fds, pair[1], parent);
  }
  close(pair[1]);
  if (pid < 0) {
    *error = std::string("fork: ") + strerror(errno);
    close(pair[0]);
    return nullptr;
  }
  std::unique_ptr<Agent> agent(new Agent());
  agent->pid_ = pid;
  agent->name_ = name;
  agent->control_ = pair[0];
  // A first round trip proves the agent is up with its name set.
  std::string reply;
  *error = agent->Call("ping", &reply);
  if (!error->empty()) return nullptr;
  return agent;
}

Agent::~Agent() { Kill(); }

void Agent::Kill() {
  if (control_ >= 0) close(control_);
  control_ = -1;
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, &status, 0) >= 0 || errno != EINTR) break;
  }
  pid_ = -1;
}

std::string Agent::Call(const std::string& request, std::string* reply) {
  const std::string who = name_ + "[" + std::to_string(pid_) + "] ";
  if (control_ < 0) return who + "is gone";
  if (send(control_, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    return who + "send: " + strerror(errno);
  }
  pollfd p = {control_, POLLIN, 0};
  int ready = 0;
  WaitFor(kCallBudget, milliseconds(0), [&] {
    ready = poll(&p, 1, 100);
    return ready != 0 && !(ready < 0 && errno == EINTR);
  });
  if (ready <= 0) return who + "no reply to \"" + request + "\"";
  char buffer[kMaxMessage];
  const ssize_t n = recv(control_, buffer, sizeof(buffer), 0);
  if (n <= 0) return who + "exited during \"" + request + "\"";
  *reply = std::string(buffer, n);
  if (reply->rfind("ok", 0) == 0) return "";
  return who + request + ": " + *reply;
}

std::string Agent::Listen(uint16_t port, int* fd) {
  std::string reply;
  std::string error = Call("listen " + std::to_string(port), &reply);
  if (error.empty() && fd != nullptr) *fd = atoi(reply.c_str() + 3);
  return error;
}

namespace {

std::string ParseSocket(const std::string& reply, AgentSocket* out) {
  std::istringstream in(reply.substr(2));
  int local = 0, remote = 0;
  if (!(in >> out->fd >> local >> remote) || local == 0 || remote == 0) {
    return "malformed reply: " + reply;
  }
  out->local_port = local;
  out->remote_port = remote;
  return "";
}

}  // namespace

std::string Agent::Connect(uint16_t port, AgentSocket* out) {
  std::string reply;
  std::string error = Call("connect " + std::to_string(port), &reply);
  return error.empty() ? ParseSocket(reply, out) : error;
}

std::string Agent::Accept(uint16_t port, AgentSocket* out) {
  std::string reply;
  std::string error = Call("accept " + std::to_string(port), &reply);
  return error.empty() ? ParseSocket(reply, out) : error;
}

std::string Agent::Write(int fd, size_t bytes) {
  std::string reply;
  if (bytes == 0) return "";
  return Call("write " + std::to_string(fd) + " " + std::to_string(bytes),
              &reply);
}

std::string Agent::ShutdownWrite(int fd) {
  std::string reply;
  return Call("shutdown " + std::to_string(fd), &reply);
}

std::string Agent::Close(int fd) {
  std::string reply;
  return Call("close " + std::to_string(fd), &reply);
}

std::string Agent::WaitHalfClosed(int fd) {
  std::string reply;
  return Call("hup " + std::to_string(fd), &reply);
}

std::string Agent::WaitEof(int fd) {
  std::string reply;
  return Call("eof " + std::to_string(fd), &reply);
}

namespace {

// `from` connects to `to` on `port`; both ends, checked to be one
// connection.
std::string Pair(Agent* to, Agent* from, uint16_t port, AgentSocket* to_end,
                 AgentSocket* from_end) {
  std::string error = from->Connect(port, from_end);
  if (error.empty()) error = to->Accept(port, to_end);
  if (error.empty() && to_end->remote_port != from_end->local_port) {
    error = "accepted a connection from port " +
            std::to_string(to_end->remote_port) + ", expected " +
            std::to_string(from_end->local_port);
  }
  return error;
}

// `closer` sends its FIN (keeping or closing its fd) after writing `bytes`;
// `holder` waits for it.
std::string HalfClose(Agent* holder, Agent* closer, size_t bytes, bool closes,
                      Leak* leak) {
  leak->bytes = bytes;
  leak->closer_closed = closes;
  std::string error = closer->Write(leak->closer.fd, bytes);
  if (error.empty()) {
    error = closes ? closer->Close(leak->closer.fd)
                   : closer->ShutdownWrite(leak->closer.fd);
  }
  if (error.empty()) error = holder->WaitHalfClosed(leak->holder.fd);
  leak->fin_seen = std::chrono::system_clock::now();
  if (closes) leak->closer.fd = -1;
  return error;
}

}  // namespace

std::string MakeInboundLeak(Agent* server, Agent* client, uint16_t port,
                            size_t bytes, bool client_closes, Leak* out) {
  std::string error = Pair(server, client, port, &out->holder, &out->closer);
  return error.empty() ? HalfClose(server, client, bytes, client_closes, out)
                       : error;
}

std::string MakeOutboundLeak(Agent* holder, Agent* server, uint16_t port,
                             size_t bytes, bool server_closes, Leak* out) {
  std::string error = Pair(server, holder, port, &out->closer, &out->holder);
  return error.empty() ? HalfClose(holder, server, bytes, server_closes, out)
                       : error;
}

std::string MakeEstablished(Agent* server, Agent* client, uint16_t port,
                            AgentSocket* server_end, AgentSocket* client_end) {
  return Pair(server, client, port, server_end, client_end);
}

std::string MakeProperlyClosed(Agent* server, Agent* client, uint16_t port) {
  AgentSocket s, c;
  std::string error = Pair(server, client, port, &s, &c);
  if (error.empty()) error = client->ShutdownWrite(c.fd);
  if (error.empty()) error = server->WaitEof(s.fd);
  if (error.empty()) error = server->Close(s.fd);
  if (error.empty()) error = client->WaitEof(c.fd);
  if (error.empty()) error = client->Close(c.fd);
  return error;
}

}  // namespace sockwatch::it
