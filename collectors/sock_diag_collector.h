// SockDiagCollector: one full pass over the kernel's TCP socket tables.
//
// Collect() dumps the IPv4 and IPv6 TCP sockets of the network namespace
// its transport's socket belongs to and streams each socket into a sink, in
// this order: all LISTEN sockets first (so a sink can classify every later
// socket by whether its local port listens), then every other state, then
// CLOSE_WAIT with tcp_info attached. Only CLOSE_WAIT pays for tcp_info. Each
// request asks for both families at once (TCPDIAG_GETSOCK, AF_UNSPEC), so
// a pass walks the kernel's established-socket hash twice, not four times.
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
#include <cstdint>
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
  struct Options {
    bool close_wait_tcp_info = true;  // ask for tcp_info on CLOSE_WAIT
    int max_attempts = 3;             // passes tried before giving up
    // When set and true, the pass stops at the next datagram (shutdown).
    const std::atomic<bool>* cancel = nullptr;
    // Walk the kernel's established-socket hash once instead of twice:
    // every state but LISTEN in one request, with tcp_info for all of them
    // when close_wait_tcp_info. That hash is shared by every network
    // namespace, so each walk of a small namespace costs as much as one of
    // the whole host: this is for small namespaces, where tcp_info for a
    // few sockets is cheaper than another walk.
    bool single_walk = false;
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

  Status RunPass(const std::vector<Step>& steps, ResettableSink& sink,
                 CollectStats* stats);
  StepResult RunStep(const Step& step, SocketSink& sink, CollectStats* stats,
                     Status* status);

  NetlinkTransport* transport_;
  Options options_;
  uint32_t seq_ = 0;
  std::vector<uint8_t> buffer_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_SOCK_DIAG_COLLECTOR_H_
