// The per-socket view behind GET /sockets: query parsing and JSON rendering.
// Pure functions; the live dump for states other than CLOSE_WAIT is in
// live_sockets.h.
#ifndef SOCKWATCH_DAEMON_SOCKETS_VIEW_H_
#define SOCKWATCH_DAEMON_SOCKETS_VIEW_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/proc_scanner.h"
#include "collectors/socket_record.h"
#include "collectors/tcp_state.h"
#include "daemon/snapshot.h"
#include "daemon/status.h"

namespace sockwatch {

inline constexpr size_t kDefaultSocketLimit = 100;
inline constexpr size_t kMaxSocketLimit = 10000;

struct SocketQuery {
  TcpState state = kCloseWait;
  std::string process;  // exact process name (comm); empty for any
  int port = 0;         // local or remote port; 0 for any
  std::string netns;    // exact namespace label; empty for any
  size_t limit = kDefaultSocketLimit;
};

// Parses "state=close_wait&process=nginx&port=80&netns=web&limit=10"
// (URL-encoded).
// An error whose message suits a 400 response for unknown parameters, bad
// states, ports or limits.
Status ParseSocketQuery(std::string_view query, SocketQuery* out);

// One socket as the view shows it.
struct SocketRow {
  const ProcessInfo* owner = nullptr;  // nullptr: no process found
  const ProcessInfo* peer = nullptr;   // FIN_WAIT2 end's holder, if any
  bool paired = false;                 // the other end is on this host
  bool shared = false;
  const std::string* netns = nullptr;  // with `namespaces: all`
  int fd = -1;
  uint8_t family = 0;
  uint8_t state = 0;
  std::array<uint8_t, 16> local_addr{};
  std::array<uint8_t, 16> remote_addr{};
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  uint32_t recv_queue = 0;
  uint32_t send_queue = 0;
  double age_seconds = -1;  // CLOSE_WAIT only; < 0 when unknown
};

// True when `row` passes the process and port filters of `q`.
bool Matches(const SocketQuery& q, const SocketRow& row);

// {"state":..,"total":N,"returned":M,"sockets":[...]}: `total` counts every
// match, `rows` holds at most q.limit of them.
std::string SocketsJson(const SocketQuery& q, size_t total,
                        const std::vector<SocketRow>& rows);

// The CLOSE_WAIT sockets of a snapshot, oldest first, filtered and limited.
std::string CloseWaitSocketsJson(const Snapshot& s, const SocketQuery& q);

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_SOCKETS_VIEW_H_
