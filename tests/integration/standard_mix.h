// The standard socket mix of the core integration tests, and the ports it
// uses. Every state but `close` (which the kernel never lists), on IPv4, IPv6
// and IPv4-mapped IPv6. Within a private namespace fixed ports are safe.
//
// Ranked by total sockets the (direction, port) pairs are in/7001 (9),
// out/7001 (8), in/7002 (7), then smaller ones: a top-2 cut is unambiguous.
#ifndef SOCKWATCH_TESTS_INTEGRATION_STANDARD_MIX_H_
#define SOCKWATCH_TESTS_INTEGRATION_STANDARD_MIX_H_

#include <cstdint>
#include <string>

#include "socket_mix.h"

namespace sockwatch::it {

inline constexpr uint16_t kPortV4Main = 7001;    // 127.0.0.1
inline constexpr uint16_t kPortV6Main = 7002;    // [::1], v6 only
inline constexpr uint16_t kPortTimeWait = 7003;  // 127.0.0.1
inline constexpr uint16_t kPortWindow = 7004;    // [::], dual stack
inline constexpr uint16_t kPortSynSent = 7005;   // 127.0.0.1, backlog 0
inline constexpr uint16_t kPortSynRecv = 7006;   // 127.0.0.1, defer accept
inline constexpr uint16_t kPortIdle = 7007;      // [::1], nothing connects
inline constexpr uint16_t kPortBoundV4 = 7010;   // bound, not listening
inline constexpr uint16_t kPortBoundV6 = 7011;

// Data bytes the client writes before half-closing, one CLOSE_WAIT each.
inline constexpr size_t kCloseWaitBytesV4[] = {1000, 2345, 777};
inline constexpr size_t kCloseWaitBytesV6[] = {100, 5000, 0};

// Builds the standard mix into an empty `mix`. "" or a message.
std::string BuildStandardMix(SocketMix* mix);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_STANDARD_MIX_H_
