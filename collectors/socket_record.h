// SocketRecord: what sockwatch keeps of one TCP socket from an inet_diag
// reply, and SocketSink, the streaming consumer the parser feeds.
//
// Records are passed by reference while a reply buffer is parsed and are not
// kept by the parser: a sink copies what it needs, so a dump of a million
// sockets is never held whole.
#ifndef SOCKWATCH_COLLECTORS_SOCKET_RECORD_H_
#define SOCKWATCH_COLLECTORS_SOCKET_RECORD_H_

#include <array>
#include <cstdint>

namespace sockwatch {

struct SocketRecord {
  uint8_t family = 0;        // AF_INET or AF_INET6
  uint8_t state = 0;         // TcpState
  uint16_t local_port = 0;   // host byte order
  uint16_t remote_port = 0;  // host byte order
  // Network byte order; IPv4 uses the first 4 bytes.
  std::array<uint8_t, 16> local_addr{};
  std::array<uint8_t, 16> remote_addr{};
  uint32_t inode = 0;  // 0 for timewait and request minisockets
  uint32_t uid = 0;
  uint64_t cookie = 0;
  // Bytes in the receive / send queue; for LISTEN the accept backlog length
  // and its limit instead.
  uint32_t recv_queue = 0;
  uint32_t send_queue = 0;
  uint64_t cgroup_id = 0;  // 0 when the kernel did not send one
  uint32_t ifindex = 0;    // the device the socket is bound to, 0 if none

  // From tcp_info, only when has_tcp_info (requested for CLOSE_WAIT).
  bool has_tcp_info = false;
  uint32_t last_data_recv_ms = 0;  // since the last data segment received
  uint32_t last_ack_recv_ms = 0;   // since the last ACK (or FIN) received
};

// Consumer of parsed records. Not thread-safe; one dump feeds one sink.
class SocketSink {
 public:
  virtual ~SocketSink() = default;
  virtual void OnSocket(const SocketRecord& record) = 0;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_SOCKET_RECORD_H_
