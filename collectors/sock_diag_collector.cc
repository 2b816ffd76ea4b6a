#include "collectors/sock_diag_collector.h"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
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

constexpr std::array<std::string_view, static_cast<size_t>(DumpProblem::kCount)>
    kProblemNames = {"netlink_error", "dump_interrupted", "truncated",
                     "no_buffers",    "malformed",        "foreign",
                     "timeout"};

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace

std::string_view DumpProblemName(DumpProblem problem) {
  return kProblemNames[static_cast<size_t>(problem)];
}

SockDiagCollector::SockDiagCollector(NetlinkTransport* transport,
                                     Options options)
    : transport_(transport),
      options_(options),
      seq_(static_cast<uint32_t>(time(nullptr))),
      buffer_(kInitialBuffer) {}

Status SockDiagCollector::Collect(ResettableSink& sink, CollectStats* stats) {
  const uint8_t info =
      options_.close_wait_tcp_info ? 1 << (INET_DIAG_INFO - 1) : 0;
  if (options_.single_walk) {
    return RunPass(
        {{StateBit(kListen), 0}, {kAllStatesMask & ~StateBit(kListen), info}},
        sink, stats);
  }
  const uint32_t rest =
      kAllStatesMask & ~StateBit(kListen) & ~StateBit(kCloseWait);
  return RunPass(
      {{StateBit(kListen), 0}, {rest, 0}, {StateBit(kCloseWait), info}}, sink,
      stats);
}

Status SockDiagCollector::CollectStates(uint32_t states, ResettableSink& sink,
                                        CollectStats* stats) {
  return RunPass({{states, 0}}, sink, stats);
}

Status SockDiagCollector::RunPass(const std::vector<Step>& steps,
                                  ResettableSink& sink, CollectStats* stats) {
  Status status;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    ++stats->attempts;
    sink.Reset();
    stats->sockets = 0;
    StepResult result = StepResult::kOk;
    for (const Step& step : steps) {
      result = RunStep(step, sink, stats, &status);
      if (result != StepResult::kOk) break;
    }
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
      stats->Count(timeout ? DumpProblem::kTimeout
                           : DumpProblem::kNetlinkError);
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
    ChunkResult chunk = ParseDiagChunk(buffer_.data(), got.length,
                                       nlh->nlmsg_seq, port_id, sink);
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
