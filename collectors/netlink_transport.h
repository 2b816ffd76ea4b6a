// NetlinkTransport: the kernel seam for sock_diag. One request goes out with
// Send(), its reply comes back as datagrams from Recv().
//
// MnlTransport is the real one (libmnl over NETLINK_SOCK_DIAG). Tests and
// replays use other implementations (see dump_file.h and the fakes under
// tests/). Not thread-safe: one sampler owns one transport.
#ifndef SOCKWATCH_COLLECTORS_NETLINK_TRANSPORT_H_
#define SOCKWATCH_COLLECTORS_NETLINK_TRANSPORT_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "daemon/status.h"

struct mnl_socket;

namespace sockwatch {

struct RecvResult {
  ssize_t length = 0;      // bytes stored in the buffer; -1 on error
  int error = 0;           // errno when length < 0 (ENOBUFS, EINTR, ...)
  bool truncated = false;  // MSG_TRUNC: the datagram did not fit, data lost
};

class NetlinkTransport {
 public:
  virtual ~NetlinkTransport() = default;

  // Sends one netlink request (a complete message). Error status on failure.
  virtual Status Send(const void* message, size_t length) = 0;
  // Receives one datagram into `buffer`. Blocks until one arrives or the
  // transport's timeout passes (then error EAGAIN).
  virtual RecvResult Recv(uint8_t* buffer, size_t capacity) = 0;
  // The port id replies are addressed to (0 when any is accepted).
  virtual uint32_t PortId() const = 0;
  // Asks for a larger kernel receive buffer after ENOBUFS. Best effort.
  virtual void GrowReceiveBuffer() = 0;
  // Drops any reply still in flight (an abandoned dump) by starting afresh.
  virtual Status Reset() = 0;
};

// libmnl socket on NETLINK_SOCK_DIAG. Receives time out after 5 s so a
// stalled kernel reply can never hang the sampler.
//
// By default the socket is opened in the caller's network namespace. With a
// socket factory, the factory makes each socket (the first one and one per
// Reset()) and the transport binds it: that is how a transport samples
// another namespace (see netns_socket.h), since a socket stays in the
// namespace it was created in.
class MnlTransport final : public NetlinkTransport {
 public:
  // Returns an unbound NETLINK_SOCK_DIAG socket the transport then owns, or
  // -1 with *error set to an errno.
  using SocketFactory = std::function<int(int* error)>;

  // Opens and binds the socket; nullptr and `status` set on failure.
  static std::unique_ptr<MnlTransport> Open(Status* status);
  // The same with sockets from `factory`; status->err() is the factory's
  // errno when it failed.
  static std::unique_ptr<MnlTransport> Open(Status* status,
                                            SocketFactory factory);
  ~MnlTransport() override;
  MnlTransport(const MnlTransport&) = delete;
  MnlTransport& operator=(const MnlTransport&) = delete;

  Status Send(const void* message, size_t length) override;
  RecvResult Recv(uint8_t* buffer, size_t capacity) override;
  uint32_t PortId() const override;
  void GrowReceiveBuffer() override;
  Status Reset() override;

 private:
  MnlTransport() = default;

  // Opens socket_ from factory_, or in the current namespace without one.
  Status OpenSocket();

  SocketFactory factory_;  // empty: mnl_socket_open()
  mnl_socket* socket_ = nullptr;
  int receive_buffer_ = 1 << 20;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_NETLINK_TRANSPORT_H_
