// Test helpers: hand-built sock_diag replies and a scripted fake transport.
#ifndef SOCKWATCH_TESTS_UNIT_DIAG_BUILDER_H_
#define SOCKWATCH_TESTS_UNIT_DIAG_BUILDER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "collectors/netlink_transport.h"
#include "collectors/socket_record.h"

namespace sockwatch::testing {

struct FakeSocket {
  uint8_t family = 2;  // AF_INET
  uint8_t state = 1;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  uint32_t inode = 0;
  uint32_t recv_queue = 0;
  uint32_t send_queue = 0;
  uint64_t cookie = 0;
  uint64_t cgroup_id = 0;          // attribute added when non-zero
  int64_t last_data_recv_ms = -1;  // tcp_info added when >= 0
};

// Appends netlink messages to a byte buffer.
class DiagBuilder {
 public:
  DiagBuilder(uint32_t seq, uint32_t port_id) : seq_(seq), port_id_(port_id) {}

  DiagBuilder& Socket(const FakeSocket& s, uint16_t flags = 0x2 /*MULTI*/);
  DiagBuilder& Done(uint16_t flags = 0x2);
  DiagBuilder& Error(int err);
  DiagBuilder& Raw(const std::vector<uint8_t>& bytes);

  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  void Message(uint16_t type, uint16_t flags, const std::vector<uint8_t>& body);

  uint32_t seq_;
  uint32_t port_id_;
  std::vector<uint8_t> bytes_;
};

// A sink that keeps every record.
class CollectingSink : public SocketSink {
 public:
  void OnSocket(const SocketRecord& r) override { records.push_back(r); }
  std::vector<SocketRecord> records;
};

// Answers each request by calling `respond` with its family, state mask,
// extensions and sequence number (and, for an exact request, the socket's
// cookie and local port); it returns the datagrams to serve. A Send() may
// carry several requests.
class FakeTransport : public NetlinkTransport {
 public:
  struct Request {
    uint8_t family;
    uint32_t states;
    uint8_t extensions;
    uint32_t seq;
    bool dump = true;  // NLM_F_DUMP; false for an exact request
    uint64_t cookie = 0;
    uint16_t local_port = 0;
  };

  explicit FakeTransport(
      std::function<std::vector<std::vector<uint8_t>>(const Request&)> respond)
      : respond_(std::move(respond)) {}

  Status Send(const void* message, size_t length) override;
  RecvResult Recv(uint8_t* buffer, size_t capacity) override;
  uint32_t PortId() const override { return kPortId; }
  void GrowReceiveBuffer() override { ++grown; }
  Status Reset() override {
    ++resets;
    queue_.clear();
    return Status::Ok();
  }

  static constexpr uint32_t kPortId = 4242;
  std::vector<Request> requests;
  int grown = 0;
  int resets = 0;
  // Datagrams whose first byte is this marker are delivered as errors whose
  // errno is the second byte (e.g. ENOBUFS); 0xFE marks MSG_TRUNC.
  static constexpr uint8_t kErrorMarker = 0xFF;
  static constexpr uint8_t kTruncMarker = 0xFE;

 private:
  std::function<std::vector<std::vector<uint8_t>>(const Request&)> respond_;
  std::deque<std::vector<uint8_t>> queue_;
};

}  // namespace sockwatch::testing

#endif  // SOCKWATCH_TESTS_UNIT_DIAG_BUILDER_H_
