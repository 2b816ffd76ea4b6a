// The vocabulary the integration tests use to state what a socket table must
// look like: the daemon's state names, counts per state, and the per-port
// view (`sockwatch_tcp_port_sockets{direction,port,state}`) computed from a
// list of sockets by the rule of DESIGN.md, independently of the daemon.
//
// Plain values and pure functions; thread-compatible.
#ifndef SOCKWATCH_TESTS_INTEGRATION_SOCKET_MODEL_H_
#define SOCKWATCH_TESTS_INTEGRATION_SOCKET_MODEL_H_

#include <array>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace sockwatch::it {

// Every value of the `state` label, in the daemon's spelling.
inline constexpr std::array<const char*, 12> kStates = {
    "established", "syn_sent",  "syn_recv", "fin_wait1",
    "fin_wait2",   "time_wait", "close",    "close_wait",
    "last_ack",    "listen",    "closing",  "bound_inactive"};

// Sockets per state name. Missing states count as zero.
using StateCounts = std::map<std::string, int64_t>;

// A count of zero for every state in kStates.
StateCounts ZeroCounts();

// `a` with `b` added state by state.
StateCounts Add(const StateCounts& a, const StateCounts& b);

// "established=3 listen=2" (non-zero entries only), for messages.
std::string Format(const StateCounts& counts);

// One socket as a table row: what the per-port view needs to classify it.
struct SocketRow {
  std::string state;
  int local_port = 0;
  int peer_port = 0;
};

// A (direction, port) pair; port is a number or "other".
struct PortKey {
  std::string direction;  // "in" or "out"
  std::string port;
  bool operator<(const PortKey& other) const {
    return direction != other.direction ? direction < other.direction
                                        : port < other.port;
  }
  bool operator==(const PortKey& other) const {
    return direction == other.direction && port == other.port;
  }
};

// gtest output: "in/7001".
void PrintTo(const PortKey& key, std::ostream* os);

// Counts per (direction, port), then per state.
using PortView = std::map<PortKey, StateCounts>;

// The DESIGN.md rule: "in" keyed by the local port when some LISTEN row has
// that local port, else "out" keyed by the peer port. A socket without a peer
// (peer port 0: LISTEN itself, bound-inactive) is "in" on its local port, as
// daemon/aggregator.h specifies; "out" on port 0 would mean nothing.
PortView ClassifyPorts(const std::vector<SocketRow>& rows);

// Adds one socket of `state` to `view` under (direction, port).
void AddTo(PortView* view, const std::string& direction, int port,
           const std::string& state);

// Keeps the `top_n` pairs with the most sockets and sums the others into
// (direction, "other"), one per direction that has folded pairs. Sets
// *ambiguous when the pair ranked top_n and the next one tie (the daemon may
// then keep either).
PortView FoldTopN(const PortView& view, size_t top_n, bool* ambiguous);

// State totals over every pair of `view`.
StateCounts Totals(const PortView& view);

// `counts` without zero entries; `view` without zero entries and empty pairs.
StateCounts NonZero(const StateCounts& counts);
PortView NonZero(const PortView& view);

// Total sockets in `counts`.
int64_t Sum(const StateCounts& counts);

// Multi-line listing of a view, for messages.
std::string Format(const PortView& view);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_SOCKET_MODEL_H_
