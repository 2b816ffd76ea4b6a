#include "collectors/dump_file.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "collectors/sock_diag_parser.h"

namespace sockwatch {
namespace {

const nlmsghdr* MessageAt(const std::vector<uint8_t>& bytes, size_t offset) {
  const uint8_t* at = bytes.data() + offset;
  return NetlinkMessageFits(at, bytes.size() - offset)
             ? reinterpret_cast<const nlmsghdr*>(at)
             : nullptr;
}

}  // namespace

std::unique_ptr<RecordingTransport> RecordingTransport::Open(
    NetlinkTransport* inner, const std::string& path, Status* status) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    int err = errno;
    *status = Status::Error(path + ": " + std::strerror(err), err);
    return nullptr;
  }
  *status = Status::Ok();
  return std::unique_ptr<RecordingTransport>(
      new RecordingTransport(inner, file));
}

RecordingTransport::~RecordingTransport() { std::fclose(file_); }

Status RecordingTransport::Send(const void* message, size_t length) {
  return inner_->Send(message, length);
}

RecvResult RecordingTransport::Recv(uint8_t* buffer, size_t capacity) {
  RecvResult got = inner_->Recv(buffer, capacity);
  if (got.length > 0 && !got.truncated) {
    std::fwrite(buffer, 1, got.length, file_);
    std::fflush(file_);
  }
  return got;
}

Status RecordingTransport::Reset() { return inner_->Reset(); }

std::unique_ptr<ReplayTransport> ReplayTransport::Open(const std::string& path,
                                                       Status* status) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *status = Status::Error(path + ": cannot read dump file", ENOENT);
    return nullptr;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  *status = Status::Ok();
  return std::make_unique<ReplayTransport>(std::move(bytes));
}

ReplayTransport::ReplayTransport(std::vector<uint8_t> bytes)
    : bytes_(std::move(bytes)) {}

Status ReplayTransport::Send(const void* message, size_t length) {
  if (length < sizeof(nlmsghdr)) return Status::Error("short request", EINVAL);
  seq_ = static_cast<const nlmsghdr*>(message)->nlmsg_seq;
  if (next_reply_ >= bytes_.size()) next_reply_ = 0;  // serve the file again
  cursor_ = next_reply_;
  // The reply runs to its DONE or ERROR message; garbage runs to the end.
  size_t end = cursor_;
  while (end < bytes_.size()) {
    const nlmsghdr* nlh = MessageAt(bytes_, end);
    if (nlh == nullptr) {
      end = bytes_.size();
      break;
    }
    end = std::min<size_t>(end + MNL_ALIGN(nlh->nlmsg_len), bytes_.size());
    if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) break;
  }
  reply_end_ = end;
  next_reply_ = reply_end_;
  return Status::Ok();
}

RecvResult ReplayTransport::Recv(uint8_t* buffer, size_t capacity) {
  if (cursor_ >= reply_end_) return RecvResult{-1, EAGAIN, false};
  // Hand out whole messages that fit; garbage goes out as it is.
  size_t take = 0;
  while (cursor_ + take < reply_end_) {
    const nlmsghdr* nlh = MessageAt(bytes_, cursor_ + take);
    size_t size = nlh ? MNL_ALIGN(nlh->nlmsg_len) : reply_end_ - cursor_ - take;
    size = std::min(size, reply_end_ - cursor_ - take);
    if (take + size > capacity) {
      if (take == 0) {
        cursor_ += size;
        return RecvResult{static_cast<ssize_t>(capacity), 0, true};
      }
      break;
    }
    take += size;
    if (nlh == nullptr) break;
  }
  std::memcpy(buffer, &bytes_[cursor_], take);
  for (size_t off = 0; off + sizeof(nlmsghdr) <= take;) {
    auto* nlh = reinterpret_cast<nlmsghdr*>(buffer + off);
    if (nlh->nlmsg_len < sizeof(nlmsghdr) || off + nlh->nlmsg_len > take) break;
    nlh->nlmsg_seq = seq_;
    off += MNL_ALIGN(nlh->nlmsg_len);
  }
  cursor_ += take;
  return RecvResult{static_cast<ssize_t>(take), 0, false};
}

Status ReplayTransport::Reset() {
  next_reply_ = 0;
  cursor_ = reply_end_ = 0;
  return Status::Ok();
}

}  // namespace sockwatch
