// SockDiagCollector: one full pass over the kernel's TCP socket tables.
//
// Collect() dumps the IPv4 and IPv6 TCP sockets of the network namespace
// its transport's socket belongs to and streams each socket into a sink:
// all LISTEN sockets first (so a sink can classify every later socket by
// whether its local port listens), then every other state. Each request
// asks for both families at once (TCPDIAG_GETSOCK, AF_UNSPEC): one walk of
// the kernel's established-socket hash serves both.
//
// That walk is most of a dump's cost, and the hash is shared by every
// network namespace: a walk for a namespace of ten sockets visits every
// socket of the host. So a pass walks it once, and tcp_info, which only
// CLOSE_WAIT sockets need and only the first time they are seen (to date
// them), is fetched apart (CloseWaitInfo::kLookup): a CLOSE_WAIT socket no
// earlier sample saw is held back from the sink, asked for alone with
// tcp_info (an exact request by address, port and cookie: a hash lookup,
// batched), then delivered. When more than max_lookups are new (the first
// sample, a burst), a dump of CLOSE_WAIT with tcp_info does it instead, in
// one more walk.
//
// Netlink hygiene: replies must carry the request's sequence number and our
// port id; only NLMSG_DONE ends a dump; NLMSG_ERROR fails it with its errno;
// NLM_F_DUMP_INTR, MSG_TRUNC and ENOBUFS restart the whole pass (bounded),
// after growing the buffer that was too small. Every problem is counted in
// CollectStats. Not thread-safe; owns no transport.
#ifndef SOCKWATCH_COLLECTORS_SOCK_DIAG_COLLECTOR_H_
#define SOCKWATCH_COLLECTORS_SOCK_DIAG_COLLECTOR_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "collectors/netlink_transport.h"
#include "collectors/socket_record.h"
#include "daemon/status.h"

namespace sockwatch {

// Why a dump attempt went wrong; each is a label of
// sockwatch_sample_errors_total{reason}.
enum class DumpProblem {
  kNetlinkError,     // NLMSG_ERROR or a failing send/recv
  kDumpInterrupted,  // NLM_F_DUMP_INTR: the table changed under the dump
  kTruncated,        // MSG_TRUNC: our buffer was too small
  kNoBuffers,        // ENOBUFS: the socket's receive buffer overflowed
  kMalformed,        // bytes that do not parse as netlink / inet_diag
  kForeign,          // a reply with a wrong sequence number or port id
  kTimeout,          // the kernel stopped answering mid-dump
  kCount,
};
std::string_view DumpProblemName(DumpProblem problem);

struct CollectStats {
  std::array<uint64_t, static_cast<size_t>(DumpProblem::kCount)> problems{};
  uint64_t attempts = 0;
  uint64_t sockets = 0;  // records delivered by the successful attempt

  void Count(DumpProblem p) { ++problems[static_cast<size_t>(p)]; }
  uint64_t Of(DumpProblem p) const { return problems[static_cast<size_t>(p)]; }
};

// A sink that can start over when an attempt is abandoned.
class ResettableSink : public SocketSink {
 public:
  virtual void Reset() = 0;
};

class SockDiagCollector {
 public:
  // How CLOSE_WAIT sockets get their tcp_info.
  enum class CloseWaitInfo {
    kNone,    // not at all: two requests, one walk
    kDump,    // a CLOSE_WAIT dump of its own with tcp_info: three requests,
              // always the same (for recording and replaying dumps)
    kLookup,  // for those known_close_wait does not know (see above)
  };
  struct Options {
    CloseWaitInfo close_wait_info = CloseWaitInfo::kDump;
    int max_attempts = 3;  // passes tried before giving up
    // When set and true, the pass stops at the next datagram (shutdown).
    const std::atomic<bool>* cancel = nullptr;
    // kLookup: the cookies of CLOSE_WAIT sockets already dated (nothing is
    // known when empty), and how many new ones are looked up one by one.
    std::function<bool(uint64_t cookie)> known_close_wait;
    size_t max_lookups = 256;
  };

  SockDiagCollector(NetlinkTransport* transport, Options options);
  SockDiagCollector(const SockDiagCollector&) = delete;
  SockDiagCollector& operator=(const SockDiagCollector&) = delete;

  // Resets `sink` and streams every TCP socket into it. On error the sink
  // holds a partial pass and must not be published; `stats` says why.
  Status Collect(ResettableSink& sink, CollectStats* stats);

  // Streams only the sockets whose state is in the `states` bitmask (see
  // StateBit), both families, without tcp_info. Same error handling.
  Status CollectStates(uint32_t states, ResettableSink& sink,
                       CollectStats* stats);

 private:
  struct Step {
    uint32_t states;
    uint8_t extensions;
  };
  enum class StepResult { kOk, kRetry, kFail };
  class NewCloseWait;

  Status RunPass(ResettableSink& sink, CollectStats* stats,
                 const std::function<StepResult(Status*)>& attempt);
  StepResult RunSteps(const std::vector<Step>& steps, SocketSink& sink,
                      CollectStats* stats, Status* status);
  StepResult RunLookupPass(SocketSink& sink, CollectStats* stats,
                           Status* status);
  StepResult RunStep(const Step& step, SocketSink& sink, CollectStats* stats,
                     Status* status);
  // Asks for each of `held` alone, with tcp_info, and fills it in.
  StepResult LookUp(std::vector<SocketRecord>* held, CollectStats* stats,
                    Status* status);
  // Receives one datagram into buffer_; kOk with its length in *length.
  StepResult Receive(std::chrono::steady_clock::time_point deadline,
                     CollectStats* stats, Status* status, size_t* length);

  NetlinkTransport* transport_;
  Options options_;
  uint32_t seq_ = 0;
  std::vector<uint8_t> buffer_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_SOCK_DIAG_COLLECTOR_H_
