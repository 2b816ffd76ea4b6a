#include "collectors/netlink_transport.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace sockwatch {
namespace {

constexpr int kMaxReceiveBuffer = 64 << 20;

Status Errno(const char* what) {
  int err = errno;
  return Status::Error(std::string(what) + ": " + std::strerror(err), err);
}

}  // namespace

std::unique_ptr<MnlTransport> MnlTransport::Open(Status* status) {
  return Open(status, SocketFactory());
}

std::unique_ptr<MnlTransport> MnlTransport::Open(Status* status,
                                                 SocketFactory factory) {
  std::unique_ptr<MnlTransport> transport(new MnlTransport());
  transport->factory_ = std::move(factory);
  *status = transport->Reset();
  if (!status->ok()) return nullptr;
  return transport;
}

MnlTransport::~MnlTransport() {
  if (socket_ != nullptr) mnl_socket_close(socket_);
}

Status MnlTransport::OpenSocket() {
  if (!factory_) {
    socket_ = mnl_socket_open(NETLINK_SOCK_DIAG);
    if (socket_ == nullptr) return Errno("netlink socket(NETLINK_SOCK_DIAG)");
    return Status::Ok();
  }
  int err = 0;
  const int fd = factory_(&err);
  if (fd < 0) {
    if (err == 0) err = EIO;
    return Status::Error(
        std::string("netlink socket(NETLINK_SOCK_DIAG) from factory: ") +
            std::strerror(err),
        err);
  }
  socket_ = mnl_socket_fdopen(fd);
  if (socket_ == nullptr) {
    Status status = Errno("netlink mnl_socket_fdopen");
    close(fd);
    return status;
  }
  return Status::Ok();
}

Status MnlTransport::Reset() {
  if (socket_ != nullptr) mnl_socket_close(socket_);
  socket_ = nullptr;
  Status opened = OpenSocket();
  if (!opened.ok()) return opened;
  if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    Status status = Errno("netlink bind");
    mnl_socket_close(socket_);
    socket_ = nullptr;
    return status;
  }
  int fd = mnl_socket_get_fd(socket_);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_, sizeof(int));
  return Status::Ok();
}

Status MnlTransport::Send(const void* message, size_t length) {
  if (socket_ == nullptr)
    return Status::Error("netlink socket not open", EBADF);
  ssize_t sent = mnl_socket_sendto(socket_, message, length);
  if (sent < 0) return Errno("netlink send");
  if (static_cast<size_t>(sent) != length) {
    return Status::Error("netlink send: short write", EIO);
  }
  return Status::Ok();
}

RecvResult MnlTransport::Recv(uint8_t* buffer, size_t capacity) {
  if (socket_ == nullptr) return RecvResult{-1, EBADF, false};
  iovec iov{buffer, capacity};
  sockaddr_nl addr{};
  msghdr msg{};
  msg.msg_name = &addr;
  msg.msg_namelen = sizeof(addr);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  RecvResult result;
  // Datagrams not sent by the kernel (port id 0) are dropped; bounded so a
  // flood of them cannot keep the sampler here.
  for (int tries = 0; tries < 64; ++tries) {
    do {
      result.length = recvmsg(mnl_socket_get_fd(socket_), &msg, 0);
    } while (result.length < 0 && errno == EINTR);
    if (result.length < 0) {
      result.error = errno == EWOULDBLOCK ? EAGAIN : errno;
      return result;
    }
    if (addr.nl_pid == 0) {
      result.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
      return result;
    }
    msg.msg_namelen = sizeof(addr);
  }
  result.length = -1;
  result.error = EPROTO;
  return result;
}

uint32_t MnlTransport::PortId() const {
  return socket_ == nullptr ? 0 : mnl_socket_get_portid(socket_);
}

void MnlTransport::GrowReceiveBuffer() {
  if (receive_buffer_ >= kMaxReceiveBuffer) return;
  receive_buffer_ *= 4;
  if (socket_ == nullptr) return;
  setsockopt(mnl_socket_get_fd(socket_), SOL_SOCKET, SO_RCVBUF,
             &receive_buffer_, sizeof(int));
}

}  // namespace sockwatch
