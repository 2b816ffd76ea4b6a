#include "socket_mix.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "loopback.h"

namespace sockwatch::it {
namespace {

constexpr milliseconds kStep(5000);
constexpr int kSmallBuffer = 4096;  // the kernel doubles it
// Lifetimes of timed sockets in a fresh namespace: TIME_WAIT and orphaned
// FIN_WAIT2 60 s (tcp_fin_timeout), SYN_SENT about 127 s (tcp_syn_retries 6).
constexpr int kTimeWaitSeconds = 60;
constexpr int kSynSentSeconds = 127;
constexpr auto kMargin = std::chrono::seconds(8);

bool IsV6(Family family) { return family == Family::kV6; }

}  // namespace

SocketMix::~SocketMix() {
  for (int fd : fds_) close(fd);
}

Family SocketMix::FamilyOf(uint16_t port) const {
  auto it = listeners_.find(port);
  return it == listeners_.end() ? Family::kV4 : it->second.family;
}

int SocketMix::Keep(int fd) {
  fds_.push_back(fd);
  return fd;
}

void SocketMix::Drop(int fd) {
  fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
  close(fd);
}

void SocketMix::Expect(const std::string& state, const std::string& direction,
                       uint16_t port, Family family, int64_t recv_q,
                       int64_t send_q, int lifetime_seconds) {
  ExpectedSocket socket{state, direction, port, family, recv_q, send_q};
  if (lifetime_seconds > 0) {
    socket.expires = Clock::now() + std::chrono::seconds(lifetime_seconds);
  }
  expected_.push_back(socket);
}

std::string SocketMix::Listen(Family family, uint16_t port,
                              const ListenOptions& options) {
  if (listeners_.count(port) > 0) return "port in use by the mix";
  const bool v6 = IsV6(family);
  const std::string address =
      v6 && options.dual_stack ? "::" : LoopbackAddress(v6);
  std::string error;
  const int fd =
      BoundSocket(address, port, !options.dual_stack, options.rcvbuf, &error);
  if (fd < 0) return error;
  Keep(fd);
  const int defer = options.defer_accept_seconds;
  if (defer > 0 && setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer,
                              sizeof(defer)) != 0) {
    return "TCP_DEFER_ACCEPT failed";
  }
  if (listen(fd, options.backlog) != 0) return "listen failed";
  listeners_[port] = {fd, family, options};
  Expect("listen", "in", port, family);
  return "";
}

std::string SocketMix::Connect(uint16_t port, Family client, bool wait,
                               int rcvbuf, int* fd) {
  std::string error;
  *fd = ConnectTo(LoopbackAddress(IsV6(client)), port, wait, rcvbuf, kStep,
                  &error);
  if (*fd >= 0) Keep(*fd);
  return error;
}

std::string SocketMix::Accept(uint16_t port, int* fd) {
  auto it = listeners_.find(port);
  if (it == listeners_.end()) return "no listener of the mix on this port";
  std::string error;
  *fd = AcceptWithin(it->second.fd, kStep, &error);
  if (*fd >= 0) Keep(*fd);
  return error;
}

std::string SocketMix::Pair(uint16_t port, Family client, int client_rcvbuf,
                            int* client_fd, int* server_fd) {
  if (listeners_.count(port) == 0) return "no listener of the mix on this port";
  std::string error = Connect(port, client, true, client_rcvbuf, client_fd);
  if (error.empty()) error = Accept(port, server_fd);
  return error;
}

std::string SocketMix::Established(uint16_t port, Family client, int pairs) {
  const Family server = FamilyOf(port);
  for (int i = 0; i < pairs; ++i) {
    int c, s;
    std::string error = Pair(port, client, 0, &c, &s);
    if (!error.empty()) return error;
    Expect("established", "in", port, server, 0, 0);
    Expect("established", "out", port, client, 0, 0);
  }
  return "";
}

std::string SocketMix::CloseWait(uint16_t port, Family client, size_t bytes,
                                 bool client_closes) {
  const Family server = FamilyOf(port);
  int c, s;
  std::string error = Pair(port, client, 0, &c, &s);
  if (error.empty()) error = WriteBytes(c, bytes, kStep);
  if (!error.empty()) return error;
  if (client_closes) {
    Drop(c);
  } else if (shutdown(c, SHUT_WR) != 0) {
    return "shutdown failed";
  }
  error = WaitPeerHalfClosed(s, kStep);
  if (!error.empty()) return error;
  // Recv-Q of a CLOSE_WAIT socket counts the unread FIN as one more byte
  // (rcv_nxt - copied_seq).
  Expect("close_wait", "in", port, server, bytes + 1, 0);
  Expect("fin_wait2", "out", port, client, 0, 0,
         client_closes ? kTimeWaitSeconds : 0);
  close_wait_bytes_ += bytes;
  return "";
}

std::string SocketMix::TimeWait(uint16_t port, Family client) {
  const Family server = FamilyOf(port);
  int c, s;
  std::string error = Pair(port, client, 0, &c, &s);
  if (!error.empty()) return error;
  Drop(s);
  error = WaitEof(c, kStep);
  if (!error.empty()) return error;
  Drop(c);
  Expect("time_wait", "in", port, server, 0, 0, kTimeWaitSeconds);
  return "";
}

std::string SocketMix::SynSent(uint16_t port, Family client, int count) {
  auto it = listeners_.find(port);
  if (it == listeners_.end() || it->second.options.backlog != 0) {
    return "SynSent needs a listener of the mix with backlog 0";
  }
  // One handshake fits a backlog of 0; it fills the accept queue for good.
  int c;
  std::string error = Connect(port, client, true, 0, &c);
  if (!error.empty()) return error;
  Expect("established", "in", port, it->second.family, 0, 0);
  Expect("established", "out", port, client, 0, 0);
  for (int i = 0; i < count; ++i) {
    error = Connect(port, client, false, 0, &c);
    if (!error.empty()) return error;
    Expect("syn_sent", "out", port, client, 0, 1, kSynSentSeconds);
  }
  return "";
}

std::string SocketMix::SynRecv(uint16_t port, Family client, int count) {
  auto it = listeners_.find(port);
  if (it == listeners_.end() || it->second.options.defer_accept_seconds <= 0) {
    return "SynRecv needs a listener of the mix with defer_accept_seconds";
  }
  for (int i = 0; i < count; ++i) {
    int c;
    std::string error = Connect(port, client, true, 0, &c);
    if (!error.empty()) return error;
    Expect("syn_recv", "in", port, it->second.family, 0, 0);
    Expect("established", "out", port, client, 0, 0);
  }
  return "";
}

std::string SocketMix::FinWait1(uint16_t port, Family client) {
  const Family server = FamilyOf(port);
  int c, s;
  uint64_t written = 0;
  std::string error = Pair(port, client, 0, &c, &s);
  if (error.empty()) error = FillUntilBlocked(c, kStep, &written);
  if (!error.empty()) return error;
  if (shutdown(c, SHUT_WR) != 0) return "shutdown failed";
  Expect("established", "in", port, server);
  Expect("fin_wait1", "out", port, client);
  return "";
}

std::string SocketMix::Closing(uint16_t port, Family client) {
  const Family server = FamilyOf(port);
  int c, s;
  uint64_t written = 0;
  std::string error = Pair(port, client, 0, &c, &s);
  if (error.empty()) error = FillUntilBlocked(c, kStep, &written);
  if (!error.empty()) return error;
  if (shutdown(c, SHUT_WR) != 0 || shutdown(s, SHUT_WR) != 0) {
    return "shutdown failed";
  }
  error = WaitPeerHalfClosed(c, kStep);
  if (!error.empty()) return error;
  Expect("fin_wait2", "in", port, server);
  Expect("closing", "out", port, client);
  return "";
}

std::string SocketMix::LastAck(uint16_t port, Family client) {
  const Family server = FamilyOf(port);
  int c, s;
  uint64_t written = 0;
  std::string error = Pair(port, client, kSmallBuffer, &c, &s);
  if (error.empty()) error = FillUntilBlocked(s, kStep, &written);
  if (!error.empty()) return error;
  if (shutdown(c, SHUT_WR) != 0) return "shutdown failed";
  error = WaitPeerHalfClosed(s, kStep);
  if (!error.empty()) return error;
  if (shutdown(s, SHUT_WR) != 0) return "shutdown failed";
  Expect("last_ack", "in", port, server);
  Expect("fin_wait2", "out", port, client);
  return "";
}

std::string SocketMix::BoundInactive(Family family, uint16_t port) {
  std::string error;
  const int fd =
      BoundSocket(LoopbackAddress(IsV6(family)), port, true, 0, &error);
  if (fd < 0) return error;
  Keep(fd);
  // No peer: "in" on its own port (see ClassifyPorts).
  Expect(kBoundInactiveState, "in", port, family, 0, 0);
  return "";
}

StateCounts SocketMix::ByState() const {
  StateCounts counts = ZeroCounts();
  for (const ExpectedSocket& s : expected_) counts[s.state] += 1;
  return counts;
}

PortView SocketMix::ByPort() const {
  PortView view;
  for (const ExpectedSocket& s : expected_) {
    AddTo(&view, s.direction, s.port, s.state);
  }
  return view;
}

Clock::time_point SocketMix::valid_until() const {
  Clock::time_point until = Clock::time_point::max();
  for (const ExpectedSocket& s : expected_) {
    if (s.expires != Clock::time_point::max()) {
      until = std::min(until, s.expires - kMargin);
    }
  }
  return until;
}

}  // namespace sockwatch::it

namespace sockwatch::it {

std::string SocketMix::CheckSs(const std::vector<SsRow>& rows) const {
  // ss 6.1 never lists bound-inactive sockets: leave them out.
  StateCounts want = ByState();
  want.erase(kBoundInactiveState);
  PortView want_ports = ByPort();
  for (auto& [key, counts] : want_ports) counts.erase(kBoundInactiveState);
  const StateCounts got = SsCounts(rows);
  if (NonZero(got) != NonZero(want)) {
    return "ss states: " + Format(got) + "\nexpected:  " + Format(want);
  }
  const PortView got_ports = ClassifyPorts(ToSocketRows(rows));
  if (NonZero(got_ports) != NonZero(want_ports)) {
    return "ss port view:\n" + Format(NonZero(got_ports)) + "expected:\n" +
           Format(NonZero(want_ports));
  }
  for (const bool recv : {true, false}) {
    const auto got_bytes = SsQueueBytes(rows, recv);
    for (const char* state : kStates) {
      int64_t sum = 0;
      bool known = true;
      for (const ExpectedSocket& s : expected_) {
        if (s.state != state || s.state == "listen") continue;
        const int64_t q = recv ? s.recv_q : s.send_q;
        known = known && q >= 0;
        sum += q;
      }
      const auto it = got_bytes.find(state);
      if (known && it != got_bytes.end() &&
          static_cast<int64_t>(it->second) != sum) {
        return std::string(recv ? "Recv-Q" : "Send-Q") + " of " + state +
               " in ss: " + std::to_string(it->second) + ", expected " +
               std::to_string(sum);
      }
    }
  }
  return "";
}

std::string SocketMix::Settle(milliseconds budget) {
  std::string problem = "ss never ran";
  std::string previous;
  const bool settled = WaitFor(budget, milliseconds(250), [&] {
    std::string error;
    auto rows = RunSs(&error);
    if (!rows) {
      problem = error;
      return false;
    }
    problem = CheckSs(*rows);
    std::vector<std::string> lines;
    for (const SsRow& row : *rows) lines.push_back(Format({row}));
    std::sort(lines.begin(), lines.end());
    std::string table;
    for (const std::string& line : lines) table += line;
    const bool stable = table == previous;
    previous = table;
    if (!problem.empty()) problem += "\nss table:\n" + table;
    if (!problem.empty() || !stable) return false;
    settled_ = *rows;
    return true;
  });
  return settled ? "" : "socket mix did not settle: " + problem;
}

}  // namespace sockwatch::it
