// The ground truth: iproute2's `ss -tan` run in the calling thread's network
// namespace, parsed into rows with the daemon's state names.
//
// ss 6.1 (Debian 12) does not ask the kernel for bound-but-inactive sockets,
// so they never appear here; see socket_mix.h for how tests account for them.
// Functions are thread-compatible; each call runs one `ss` process.
#ifndef SOCKWATCH_TESTS_INTEGRATION_SS_TABLE_H_
#define SOCKWATCH_TESTS_INTEGRATION_SS_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "socket_model.h"

namespace sockwatch::it {

struct SsRow {
  std::string state;  // daemon spelling, e.g. "close_wait"
  uint64_t recv_q = 0;
  uint64_t send_q = 0;
  std::string local;  // "127.0.0.1:7001", "[::1]:7002"
  std::string peer;
  int local_port = 0;  // 0 for "*"
  int peer_port = 0;
};

// Daemon state name for an ss state column ("CLOSE-WAIT" -> "close_wait",
// "UNCONN" -> "close"); "" for anything unknown.
std::string StateFromSs(const std::string& ss_state);

// Parses `ss -tanH` output. nullopt and *error on a line it cannot read.
std::optional<std::vector<SsRow>> ParseSs(const std::string& text,
                                          std::string* error);

// Runs and parses `ss -tanH`. nullopt and *error on failure.
std::optional<std::vector<SsRow>> RunSs(std::string* error);

// Rows per state (every state of kStates present, zero where none).
StateCounts SsCounts(const std::vector<SsRow>& rows);

// RunSs() and SsCounts() in one: the ss view of the current namespace per
// state. nullopt and *error on failure.
std::optional<StateCounts> SsCounts(std::string* error);

// Sum of Recv-Q (`recv` true) or Send-Q per state, LISTEN rows left out (for
// them ss shows the accept backlog, not bytes).
std::map<std::string, uint64_t> SsQueueBytes(const std::vector<SsRow>& rows,
                                             bool recv);

// The rows as the per-port view classifies them.
std::vector<SocketRow> ToSocketRows(const std::vector<SsRow>& rows);

// One row per line, for messages.
std::string Format(const std::vector<SsRow>& rows);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_SS_TABLE_H_
