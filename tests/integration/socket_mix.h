// SocketMix: real TCP sockets in every state the kernel can show, made on
// loopback (127.0.0.1 and ::1) by the test process itself, together with the
// exact table the daemon must report for them.
//
// Each recipe creates its sockets and records one ExpectedSocket per socket
// (state, direction/port as DESIGN.md classifies it, queue bytes when the
// recipe fixes them). All descriptors stay open for the life of the mix and
// are closed by the destructor. Recipes return "" on success or a message.
//
// How each state is made, all on loopback without packet loss:
//   established   connect + accept
//   close_wait    client writes N bytes then shutdown(SHUT_WR) (client stays
//                 FIN_WAIT2, a full socket) or close() (client becomes an
//                 orphaned FIN_WAIT2 timewait minisocket for 60 s); the server
//                 never reads nor closes
//   time_wait     server closes first, client reads EOF and closes: the
//                 server side is TIME_WAIT for 60 s, the client side is gone
//   syn_sent      listener with backlog 0 whose accept queue is full: the
//                 kernel drops further SYNs (retried for ~127 s)
//   syn_recv      listener with TCP_DEFER_ACCEPT: the bare ACK of the
//                 handshake is dropped, the request socket stays SYN_RECV
//   fin_wait1     client fills the server's receive window (server never
//                 reads), then shutdown(SHUT_WR): its FIN waits behind data
//   last_ack      server fills the client's window, client half-closes
//                 (server CLOSE_WAIT), server shutdown(SHUT_WR)
//   closing       as fin_wait1, then the server half-closes too: the client
//                 receives a FIN while its own is unsent
//   bound_inactive  socket() + bind(), no listen/connect
// `close` cannot be produced: the kernel never lists a TCP socket as CLOSE
// except a bound-inactive one.
//
// Settle() waits until `ss` shows exactly the expected table and stops
// changing. Timed sockets (TIME_WAIT, orphaned FIN_WAIT2, SYN_SENT) expire;
// valid_until() says until when the expectation holds. standard_mix.h has
// the mix the core tests use.
//
// Not copyable; must live in the network namespace it was built in (create
// it after the Netns, destroy it before). Not thread-safe.
#ifndef SOCKWATCH_TESTS_INTEGRATION_SOCKET_MIX_H_
#define SOCKWATCH_TESTS_INTEGRATION_SOCKET_MIX_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "socket_model.h"
#include "ss_table.h"
#include "wait.h"

namespace sockwatch::it {

enum class Family { kV4, kV6 };

// How bound-but-inactive sockets are expected in the daemon's state label.
// The kernel (6.x) lists them only when asked with the TCP_BOUND_INACTIVE
// bit, and then reports their idiag_state as TCP_CLOSE (7); the contract has
// a state of their own for them.
inline constexpr char kBoundInactiveState[] = "bound_inactive";

struct ListenOptions {
  int backlog = 128;
  bool dual_stack = false;       // kV6 only: bind [::] with IPV6_V6ONLY off
  int defer_accept_seconds = 0;  // TCP_DEFER_ACCEPT
  int rcvbuf = 0;                // SO_RCVBUF, inherited by accepted sockets
};

struct ExpectedSocket {
  std::string state;
  std::string direction;  // "in" or "out"
  int port = 0;
  Family family = Family::kV4;
  int64_t recv_q = -1;  // exact Recv-Q when the recipe fixes it, else -1
  int64_t send_q = -1;
  Clock::time_point expires = Clock::time_point::max();
};

class SocketMix {
 public:
  SocketMix() = default;
  ~SocketMix();
  SocketMix(const SocketMix&) = delete;
  SocketMix& operator=(const SocketMix&) = delete;

  // A listener on 127.0.0.1 or ::1 (or [::] when dual_stack).
  std::string Listen(Family family, uint16_t port,
                     const ListenOptions& options = {});
  // Recipes below connect from `client` loopback to the listener on `port`.
  std::string Established(uint16_t port, Family client, int pairs);
  std::string CloseWait(uint16_t port, Family client, size_t bytes,
                        bool client_closes);
  std::string TimeWait(uint16_t port, Family client);
  // The listener must have backlog 0; its queue is filled first (one
  // established pair that is never accepted).
  std::string SynSent(uint16_t port, Family client, int count);
  // The listener must have defer_accept_seconds > 0.
  std::string SynRecv(uint16_t port, Family client, int count);
  // The listener must have a small rcvbuf (the server side is filled).
  std::string FinWait1(uint16_t port, Family client);
  std::string Closing(uint16_t port, Family client);
  // Any listener: the client side gets a small receive buffer.
  std::string LastAck(uint16_t port, Family client);
  std::string BoundInactive(Family family, uint16_t port);

  // Waits up to `budget` for `ss` to show exactly the expected sockets (all
  // but bound-inactive ones, which ss 6.1 does not list) with stable queues.
  std::string Settle(milliseconds budget);

  const std::vector<ExpectedSocket>& sockets() const { return expected_; }
  // Expected count per state, every state present.
  StateCounts ByState() const;
  // Expected per-port view.
  PortView ByPort() const;
  // Bytes written into connections that are now CLOSE_WAIT (never read).
  uint64_t close_wait_data_bytes() const { return close_wait_bytes_; }
  // The ss table when Settle() succeeded.
  const std::vector<SsRow>& settled() const { return settled_; }
  // The expectation holds until then (first timed socket expiry minus a
  // margin).
  Clock::time_point valid_until() const;

 private:
  struct Listener {
    int fd = -1;
    Family family = Family::kV4;
    ListenOptions options;
  };

  std::string Connect(uint16_t port, Family client, bool wait, int rcvbuf,
                      int* fd);
  std::string Accept(uint16_t port, int* fd);
  std::string Pair(uint16_t port, Family client, int client_rcvbuf,
                   int* client_fd, int* server_fd);
  void Expect(const std::string& state, const std::string& direction,
              uint16_t port, Family family, int64_t recv_q = -1,
              int64_t send_q = -1, int lifetime_seconds = 0);
  Family FamilyOf(uint16_t port) const;
  int Keep(int fd);
  void Drop(int fd);
  std::string CheckSs(const std::vector<SsRow>& rows) const;

  std::map<uint16_t, Listener> listeners_;
  std::vector<int> fds_;
  std::vector<ExpectedSocket> expected_;
  uint64_t close_wait_bytes_ = 0;
  std::vector<SsRow> settled_;
};

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_SOCKET_MIX_H_
