// Small blocking-with-timeout socket operations on loopback, used to build
// socket states. Every call is bounded in time; failures come back as a
// message, never as an exception. Descriptors are close-on-exec, so children
// the test spawns never hold them.
//
// Stateless; thread-compatible.
#ifndef SOCKWATCH_TESTS_INTEGRATION_LOOPBACK_H_
#define SOCKWATCH_TESTS_INTEGRATION_LOOPBACK_H_

#include <cstdint>
#include <string>

#include "wait.h"

namespace sockwatch::it {

// Loopback address of a family: "127.0.0.1" or "::1".
const char* LoopbackAddress(bool ipv6);

// socket() + bind() to `address` (numeric IPv4 or IPv6, "::" allowed) and
// `port`, with SO_REUSEADDR. For IPv6, `v6only` sets IPV6_V6ONLY. `rcvbuf` > 0
// sets SO_RCVBUF first. -1 and *error on failure.
int BoundSocket(const std::string& address, uint16_t port, bool v6only,
                int rcvbuf, std::string* error);

// Connects a new socket to `address`:`port`. With `wait`, waits up to
// `budget` for the handshake and returns a connected blocking socket;
// without, returns at once with the non-blocking connect in progress.
// `rcvbuf` > 0 sets SO_RCVBUF before connecting. -1 and *error on failure.
int ConnectTo(const std::string& address, uint16_t port, bool wait, int rcvbuf,
              milliseconds budget, std::string* error);

// accept() within `budget`. -1 and *error on failure.
int AcceptWithin(int listener, milliseconds budget, std::string* error);

// Writes exactly `bytes` bytes. "" or a message.
std::string WriteBytes(int fd, size_t bytes, milliseconds budget);

// Writes until the peer's receive window and our send buffer are full (no
// progress for a while). Sets *written. "" or a message.
std::string FillUntilBlocked(int fd, milliseconds budget, uint64_t* written);

// Waits until the peer's FIN arrived: read() returns 0 (consuming nothing
// else is expected). "" or a message.
std::string WaitEof(int fd, milliseconds budget);

// Waits until the peer has half-closed, without reading (POLLRDHUP).
std::string WaitPeerHalfClosed(int fd, milliseconds budget);

// The local port a socket is bound to; 0 on failure.
uint16_t LocalPort(int fd);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_LOOPBACK_H_
