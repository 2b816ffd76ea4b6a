#include "collectors/sock_diag_collector.h"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "collectors/sock_diag_parser.h"
#include "collectors/tcp_state.h"

namespace sockwatch {
namespace {

constexpr size_t kInitialBuffer = 64 << 10;
constexpr size_t kMaxBuffer = 4 << 20;
// A dump of 3M sockets takes about 8 s; a step still running after this is
// stuck, and the sampler must go on.
constexpr auto kStepDeadline = std::chrono::seconds(120);
// Exact requests sent in one datagram. Each is answered by a datagram of
// its own (the socket with tcp_info, ~400 bytes, or an error), so a batch
// fits in the default receive buffer.
constexpr size_t kLookupBatch = 64;
constexpr uint8_t kTcpInfo = 1 << (INET_DIAG_INFO - 1);
constexpr uint32_t kAllButListen = kAllStatesMask & ~StateBit(kListen);

constexpr std::array<std::string_view, static_cast<size_t>(DumpProblem::kCount)>
    kProblemNames = {"netlink_error", "dump_interrupted", "truncated",
                     "no_buffers",    "malformed",        "foreign",
                     "timeout"};

std::string ErrnoText(int err) { return std::strerror(err); }

// A CLOSE_WAIT socket that no earlier sample dated.
bool IsNewCloseWait(const SocketRecord& r,
                    const std::function<bool(uint64_t)>& known) {
  return r.state == kCloseWait && !(known && known(r.cookie));
}

// Passes on the new CLOSE_WAIT sockets to `next`.
class UnknownCloseWait final : public SocketSink {
 public:
  UnknownCloseWait(const std::function<bool(uint64_t)>& known, SocketSink& next)
      : known_(known), next_(next) {}
  void OnSocket(const SocketRecord& r) override {
    if (IsNewCloseWait(r, known_)) {
      next_.OnSocket(r);
      ++delivered;
    }
  }
  uint64_t delivered = 0;

 private:
  const std::function<bool(uint64_t)>& known_;
  SocketSink& next_;
};

// Copies the tcp_info of a lookup's reply into the socket it asked for.
class FillTcpInfo final : public SocketSink {
 public:
  SocketRecord* asked = nullptr;  // set before each reply is parsed
  void OnSocket(const SocketRecord& r) override {
    if (asked == nullptr || !r.has_tcp_info || r.cookie != asked->cookie) {
      return;
    }
    asked->has_tcp_info = true;
    asked->last_data_recv_ms = r.last_data_recv_ms;
    asked->last_ack_recv_ms = r.last_ack_recv_ms;
  }
};

}  // namespace

// The walk's sink under kLookup: holds back CLOSE_WAIT sockets no earlier
// sample saw, up to max_lookups; past that it drops them all and says so
// (a CLOSE_WAIT dump then delivers them).
class SockDiagCollector::NewCloseWait final : public SocketSink {
 public:
  NewCloseWait(const Options& options, SocketSink& next)
      : options_(options), next_(next) {}
  void OnSocket(const SocketRecord& r) override {
    if (!IsNewCloseWait(r, options_.known_close_wait)) {
      next_.OnSocket(r);
      return;
    }
    ++unknown;
    if (overflow) return;
    if (held.size() < options_.max_lookups) {
      held.push_back(r);
      return;
    }
    overflow = true;
    held.clear();
    held.shrink_to_fit();
  }
  std::vector<SocketRecord> held;
  uint64_t unknown = 0;  // new CLOSE_WAIT sockets seen, held or not
  bool overflow = false;

 private:
  const Options& options_;
  SocketSink& next_;
};

std::string_view DumpProblemName(DumpProblem problem) {
  return kProblemNames[static_cast<size_t>(problem)];
}

SockDiagCollector::SockDiagCollector(NetlinkTransport* transport,
                                     Options options)
    : transport_(transport),
      options_(std::move(options)),
      seq_(static_cast<uint32_t>(time(nullptr))),
      buffer_(kInitialBuffer) {}

Status SockDiagCollector::Collect(ResettableSink& sink, CollectStats* stats) {
  return RunPass(sink, stats, [&](Status* status) {
    switch (options_.close_wait_info) {
      case CloseWaitInfo::kNone:
        return RunSteps({{StateBit(kListen), 0}, {kAllButListen, 0}}, sink,
                        stats, status);
      case CloseWaitInfo::kDump:
        return RunSteps({{StateBit(kListen), 0},
                         {kAllButListen & ~StateBit(kCloseWait), 0},
                         {StateBit(kCloseWait), kTcpInfo}},
                        sink, stats, status);
      case CloseWaitInfo::kLookup:
        break;
    }
    return RunLookupPass(sink, stats, status);
  });
}

Status SockDiagCollector::CollectStates(uint32_t states, ResettableSink& sink,
                                        CollectStats* stats) {
  return RunPass(sink, stats, [&](Status* status) {
    return RunSteps({{states, 0}}, sink, stats, status);
  });
}

Status SockDiagCollector::RunPass(
    ResettableSink& sink, CollectStats* stats,
    const std::function<StepResult(Status*)>& attempt) {
  Status status;
  for (int n = 0; n < options_.max_attempts; ++n) {
    ++stats->attempts;
    sink.Reset();
    stats->sockets = 0;
    StepResult result = attempt(&status);
    if (result == StepResult::kOk) return Status::Ok();
    // An abandoned dump may still be streaming: start from a fresh socket.
    Status reset = transport_->Reset();
    if (!reset.ok() || result == StepResult::kFail) {
      return reset.ok() ? status : reset;
    }
  }
  return Status::Error("sock_diag dump: giving up after " +
                           std::to_string(options_.max_attempts) +
                           " attempts: " + status.message(),
                       status.err());
}

SockDiagCollector::StepResult SockDiagCollector::RunSteps(
    const std::vector<Step>& steps, SocketSink& sink, CollectStats* stats,
    Status* status) {
  for (const Step& step : steps) {
    StepResult result = RunStep(step, sink, stats, status);
    if (result != StepResult::kOk) return result;
  }
  return StepResult::kOk;
}

SockDiagCollector::StepResult SockDiagCollector::RunLookupPass(
    SocketSink& sink, CollectStats* stats, Status* status) {
  NewCloseWait walk(options_, sink);
  StepResult result = RunSteps({{StateBit(kListen), 0}, {kAllButListen, 0}},
                               walk, stats, status);
  if (result != StepResult::kOk) return result;
  if (walk.overflow) {
    // Too many to ask for one by one. A socket that left CLOSE_WAIT since
    // the walk is missed, one that entered it is seen twice: the same
    // races as between any two dumps.
    UnknownCloseWait unknown(options_.known_close_wait, sink);
    const uint64_t delivered = stats->sockets - walk.unknown;
    result = RunStep({StateBit(kCloseWait), kTcpInfo}, unknown, stats, status);
    stats->sockets = delivered + unknown.delivered;
    return result;
  }
  if (!walk.held.empty()) {
    result = LookUp(&walk.held, stats, status);
    if (result != StepResult::kOk) return result;
  }
  for (const SocketRecord& r : walk.held) sink.OnSocket(r);
  return StepResult::kOk;
}

SockDiagCollector::StepResult SockDiagCollector::LookUp(
    std::vector<SocketRecord>* held, CollectStats* stats, Status* status) {
  struct Request {
    nlmsghdr header;
    inet_diag_req_v2 body;
  };
  static_assert(sizeof(Request) == NLMSG_LENGTH(sizeof(inet_diag_req_v2)));
  FillTcpInfo fill;
  const uint32_t port_id = transport_->PortId();
  const auto deadline = std::chrono::steady_clock::now() + kStepDeadline;
  std::vector<Request> batch;
  for (size_t begin = 0; begin < held->size(); begin += kLookupBatch) {
    const size_t n = std::min(kLookupBatch, held->size() - begin);
    batch.assign(n, Request{});
    const uint32_t first_seq = seq_ + 1;
    for (size_t i = 0; i < n; ++i) {
      const SocketRecord& r = (*held)[begin + i];
      Request& q = batch[i];
      q.header.nlmsg_len = sizeof(Request);
      q.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
      q.header.nlmsg_flags = NLM_F_REQUEST;
      q.header.nlmsg_seq = ++seq_;
      q.body.sdiag_family = r.family;
      q.body.sdiag_protocol = IPPROTO_TCP;
      q.body.idiag_ext = kTcpInfo;
      q.body.idiag_states = StateBit(kCloseWait);
      q.body.id.idiag_sport = htons(r.local_port);
      q.body.id.idiag_dport = htons(r.remote_port);
      std::memcpy(q.body.id.idiag_src, r.local_addr.data(), 16);
      std::memcpy(q.body.id.idiag_dst, r.remote_addr.data(), 16);
      q.body.id.idiag_if = r.ifindex;
      q.body.id.idiag_cookie[0] = static_cast<uint32_t>(r.cookie);
      q.body.id.idiag_cookie[1] = static_cast<uint32_t>(r.cookie >> 32);
    }
    *status = transport_->Send(batch.data(), n * sizeof(Request));
    if (!status->ok()) {
      stats->Count(DumpProblem::kNetlinkError);
      return StepResult::kFail;
    }
    // One reply per request: the socket, or an error (ENOENT: it is gone).
    for (size_t answered = 0; answered < n;) {
      size_t length = 0;
      StepResult got = Receive(deadline, stats, status, &length);
      if (got != StepResult::kOk) return got;
      const auto* nlh = reinterpret_cast<const nlmsghdr*>(buffer_.data());
      ChunkResult chunk;
      if (!NetlinkMessageFits(nlh, length)) {
        chunk.outcome = ChunkResult::Outcome::kMalformed;
      } else if (nlh->nlmsg_seq - first_seq >= n) {
        chunk.outcome = ChunkResult::Outcome::kForeign;
      } else {
        // Replies carry the sequence number of their request.
        fill.asked = &(*held)[begin + (nlh->nlmsg_seq - first_seq)];
        chunk = ParseDiagChunk(buffer_.data(), length, nlh->nlmsg_seq, port_id,
                               fill);
      }
      if (chunk.outcome == ChunkResult::Outcome::kForeign ||
          chunk.outcome == ChunkResult::Outcome::kMalformed) {
        const bool foreign = chunk.outcome == ChunkResult::Outcome::kForeign;
        stats->Count(foreign ? DumpProblem::kForeign : DumpProblem::kMalformed);
        *status = Status::Error(foreign ? "sock_diag lookup: foreign reply"
                                        : "sock_diag lookup: malformed reply",
                                EPROTO);
        return StepResult::kRetry;
      }
      // kMore with the socket, or kError: it is gone (ENOENT).
      ++answered;
    }
  }
  return StepResult::kOk;
}

SockDiagCollector::StepResult SockDiagCollector::Receive(
    std::chrono::steady_clock::time_point deadline, CollectStats* stats,
    Status* status, size_t* length) {
  if (options_.cancel != nullptr && options_.cancel->load()) {
    *status = Status::Error("sock_diag dump cancelled", ECANCELED);
    return StepResult::kFail;
  }
  if (std::chrono::steady_clock::now() > deadline) {
    stats->Count(DumpProblem::kTimeout);
    *status = Status::Error("sock_diag dump: no end after 120 s", ETIMEDOUT);
    return StepResult::kFail;
  }
  RecvResult got = transport_->Recv(buffer_.data(), buffer_.size());
  if (got.length < 0) {
    if (got.error == ENOBUFS) {
      stats->Count(DumpProblem::kNoBuffers);
      transport_->GrowReceiveBuffer();
      *status =
          Status::Error("sock_diag dump: receive buffer overflow", ENOBUFS);
      return StepResult::kRetry;
    }
    bool timeout = got.error == EAGAIN;
    stats->Count(timeout ? DumpProblem::kTimeout : DumpProblem::kNetlinkError);
    *status =
        Status::Error("sock_diag recv: " + ErrnoText(got.error), got.error);
    return StepResult::kFail;
  }
  if (got.truncated) {
    stats->Count(DumpProblem::kTruncated);
    if (buffer_.size() < kMaxBuffer) buffer_.resize(buffer_.size() * 2);
    *status = Status::Error("sock_diag dump: reply truncated", EMSGSIZE);
    return StepResult::kRetry;
  }
  *length = static_cast<size_t>(got.length);
  return StepResult::kOk;
}

SockDiagCollector::StepResult SockDiagCollector::RunStep(const Step& step,
                                                         SocketSink& sink,
                                                         CollectStats* stats,
                                                         Status* status) {
  alignas(nlmsghdr) uint8_t request[MNL_ALIGN(sizeof(nlmsghdr)) +
                                    MNL_ALIGN(sizeof(inet_diag_req))] = {};
  nlmsghdr* nlh = mnl_nlmsg_put_header(request);
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++seq_;
  // Only the older request form takes "any family": the kernel then dumps
  // IPv4 and IPv6 in one walk of its tables (one hash serves both), where
  // SOCK_DIAG_BY_FAMILY needs a walk per family. Replies come back with
  // the same message type.
  nlh->nlmsg_type = TCPDIAG_GETSOCK;
  auto* req = static_cast<inet_diag_req*>(
      mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req)));
  req->idiag_family = AF_UNSPEC;
  req->idiag_states = step.states;
  req->idiag_ext = step.extensions;

  *status = transport_->Send(nlh, nlh->nlmsg_len);
  if (!status->ok()) {
    stats->Count(DumpProblem::kNetlinkError);
    return StepResult::kFail;
  }
  const uint32_t port_id = transport_->PortId();
  const auto deadline = std::chrono::steady_clock::now() + kStepDeadline;
  bool interrupted = false;
  for (;;) {
    size_t length = 0;
    StepResult got = Receive(deadline, stats, status, &length);
    if (got != StepResult::kOk) return got;
    ChunkResult chunk =
        ParseDiagChunk(buffer_.data(), length, nlh->nlmsg_seq, port_id, sink);
    stats->sockets += chunk.sockets;
    interrupted |= chunk.interrupted;
    if (chunk.skipped > 0)
      stats->problems[static_cast<size_t>(DumpProblem::kMalformed)] +=
          chunk.skipped;
    switch (chunk.outcome) {
      case ChunkResult::Outcome::kMore:
        continue;
      case ChunkResult::Outcome::kDone:
        if (!interrupted) return StepResult::kOk;
        stats->Count(DumpProblem::kDumpInterrupted);
        *status = Status::Error("sock_diag dump interrupted (NLM_F_DUMP_INTR)",
                                EINTR);
        return StepResult::kRetry;
      case ChunkResult::Outcome::kError:
        stats->Count(DumpProblem::kNetlinkError);
        *status = Status::Error(
            "sock_diag dump: kernel error: " + ErrnoText(chunk.error),
            chunk.error);
        return StepResult::kFail;
      case ChunkResult::Outcome::kMalformed:
        stats->Count(DumpProblem::kMalformed);
        *status = Status::Error("sock_diag dump: malformed reply", EPROTO);
        return StepResult::kRetry;
      case ChunkResult::Outcome::kForeign:
        stats->Count(DumpProblem::kForeign);
        *status = Status::Error(
            "sock_diag dump: reply with unexpected sequence or port id",
            EPROTO);
        return StepResult::kRetry;
    }
  }
}

}  // namespace sockwatch
