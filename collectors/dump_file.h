// Recorded sock_diag replies: the `--debug.record-dump FILE` format.
//
// A dump file is the raw netlink messages the kernel sent, concatenated in
// the order received (the format `ss -D` writes): a user can attach it to a
// bug report and a test can replay it through the real parser.
//
// RecordingTransport wraps a transport and appends every datagram it
// receives to a file. ReplayTransport serves a dump file instead of the
// kernel: each Send() starts the next reply in the file (up to and including
// its NLMSG_DONE or NLMSG_ERROR), rewritten to the request's sequence number.
// Neither is thread-safe.
#ifndef SOCKWATCH_COLLECTORS_DUMP_FILE_H_
#define SOCKWATCH_COLLECTORS_DUMP_FILE_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "collectors/netlink_transport.h"

namespace sockwatch {

class RecordingTransport final : public NetlinkTransport {
 public:
  // Writes to `path` (truncated first). nullptr and `status` on failure.
  static std::unique_ptr<RecordingTransport> Open(NetlinkTransport* inner,
                                                  const std::string& path,
                                                  Status* status);
  ~RecordingTransport() override;
  RecordingTransport(const RecordingTransport&) = delete;
  RecordingTransport& operator=(const RecordingTransport&) = delete;

  Status Send(const void* message, size_t length) override;
  RecvResult Recv(uint8_t* buffer, size_t capacity) override;
  uint32_t PortId() const override { return inner_->PortId(); }
  void GrowReceiveBuffer() override { inner_->GrowReceiveBuffer(); }
  Status Reset() override;

 private:
  RecordingTransport(NetlinkTransport* inner, FILE* file)
      : inner_(inner), file_(file) {}

  NetlinkTransport* inner_;
  FILE* file_;
};

class ReplayTransport final : public NetlinkTransport {
 public:
  // Reads all of `path`. nullptr and `status` when it cannot be read.
  static std::unique_ptr<ReplayTransport> Open(const std::string& path,
                                               Status* status);
  // Serves `bytes` directly (for tests).
  explicit ReplayTransport(std::vector<uint8_t> bytes);

  Status Send(const void* message, size_t length) override;
  RecvResult Recv(uint8_t* buffer, size_t capacity) override;
  uint32_t PortId() const override { return 0; }
  void GrowReceiveBuffer() override {}
  // Rewinds to the start of the file.
  Status Reset() override;

 private:
  std::vector<uint8_t> bytes_;
  size_t next_reply_ = 0;  // offset where the next reply starts
  size_t cursor_ = 0;      // offset in the current reply
  size_t reply_end_ = 0;   // end of the current reply
  uint32_t seq_ = 0;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_DUMP_FILE_H_
