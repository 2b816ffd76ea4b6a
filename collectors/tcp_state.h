// TCP states as the kernel numbers them in inet_diag replies, and their
// exported names (node_exporter's tcpstat spelling, lower case).
//
// The kernel reports request sockets (TCP_NEW_SYN_RECV) as TCP_SYN_RECV, as
// `ss` shows them, so kNewSynRecv never appears in a reply: it is only a bit
// in the request mask. kBoundInactive (bound, not listening) exists from
// Linux 6.5 on.
#ifndef SOCKWATCH_COLLECTORS_TCP_STATE_H_
#define SOCKWATCH_COLLECTORS_TCP_STATE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sockwatch {

enum TcpState : uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
  kNewSynRecv = 12,
  kBoundInactive = 13,
};

// Array index range for per-state tables: states are 1..kMaxState.
inline constexpr int kMaxState = 13;
inline constexpr int kStateSlots = kMaxState + 1;

// The states that get exported series, in a stable order.
inline constexpr std::array<TcpState, 12> kExportedStates = {
    kEstablished, kSynSent,   kSynRecv, kFinWait1, kFinWait2, kTimeWait,
    kClose,       kCloseWait, kLastAck, kListen,   kClosing,  kBoundInactive};

// Bitmask of every state, for inet_diag_req_v2.idiag_states.
inline constexpr uint32_t kAllStatesMask = ((1u << kStateSlots) - 1) & ~1u;

inline constexpr uint32_t StateBit(TcpState s) { return 1u << s; }

// Exported name of a state ("close_wait"), or "unknown" outside 1..13.
std::string_view StateName(int state);

// Inverse of StateName for exported names; nullopt for anything else.
std::optional<TcpState> StateFromName(std::string_view name);

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_TCP_STATE_H_
