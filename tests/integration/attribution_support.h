// What the attribution tests compare the daemon with, read independently of
// it: `ss -tanpe` (holders and inodes), /proc (fd tables, cgroup, exe), and
// the per-process metrics folded into one shape. Plus AttributionTest, the
// fixture that owns the agents of a test.
//
// Functions are thread-compatible; each RunSsOwners() call runs one `ss`.
#ifndef SOCKWATCH_TESTS_INTEGRATION_ATTRIBUTION_SUPPORT_H_
#define SOCKWATCH_TESTS_INTEGRATION_ATTRIBUTION_SUPPORT_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attribution_agent.h"
#include "attribution_json.h"
#include "mix_fixture.h"
#include "ss_table.h"

namespace sockwatch::it {

inline constexpr char kProcessSockets[] = "sockwatch_process_tcp_sockets";
inline constexpr char kOldest[] = "sockwatch_close_wait_oldest_seconds";
inline constexpr char kOpenFds[] = "sockwatch_process_open_fds";
inline constexpr char kMaxFds[] = "sockwatch_process_max_fds";
inline constexpr char kRecvBytes[] =
    "sockwatch_process_close_wait_recv_queue_bytes";
inline constexpr char kUnreadable[] =
    "sockwatch_attribution_unreadable_processes";

// One process holding a socket, as ss prints it: ("name",pid=1,fd=3).
struct SsUser {
  std::string process;
  pid_t pid = 0;
  int fd = -1;
};

// A row of `ss -tanpeH`.
struct SsOwnedRow {
  SsRow row;
  uint64_t inode = 0;  // 0 for sockets without one (TIME_WAIT, orphans)
  std::vector<SsUser> users;
  // The holder the daemon must name: the lowest pid, nullptr when none.
  const SsUser* Owner() const;
};

// Runs and parses `ss -tanpeH` in the calling thread's namespace.
std::optional<std::vector<SsOwnedRow>> RunSsOwners(std::string* error);

// Runs it until the table has settled (at most `budget`): two runs in a row
// print the same table and no socket is in a passing state (FIN_WAIT1,
// LAST_ACK, CLOSING, SYN_SENT, SYN_RECV). On loopback the ACK of a FIN may
// be delayed (the receiver enters pingpong mode), so the closer can sit in
// FIN_WAIT1 for up to ~200 ms after the holder saw the FIN: tests settle
// before the daemon samples.
std::optional<std::vector<SsOwnedRow>> SettledSsOwners(milliseconds budget,
                                                       std::string* error);

// Sockets per process name, then per state, zeros left out.
using ProcessStates = std::map<std::string, StateCounts>;

// ss's view: each row counted for its Owner()'s name, "unknown" when none.
ProcessStates ProcessStatesOf(const std::vector<SsOwnedRow>& rows);

// sockwatch_process_tcp_sockets summed over units.
ProcessStates ProcessStatesOf(const Exposition& scrape);

std::string Format(const ProcessStates& states);

// Host totals by state from ss, zeros left out.
StateCounts HostStatesOf(const std::vector<SsOwnedRow>& rows);

// Number of entries in /proc/<pid>/fd; -1 when it cannot be read.
int FdCount(pid_t pid);

// Target of /proc/<pid>/fd/<fd> ("socket:[123]"); "" when unreadable.
std::string FdTarget(pid_t pid, int fd);

// The unit the daemon must report for `pid`, worked out here from
// /proc/<pid>/cgroup: the last path component of the "0::" line ending in
// ".service" or ".scope", "-" when none.
std::string ExpectedUnit(pid_t pid);

// Basename of /proc/<pid>/exe.
std::string ExeName(pid_t pid);

// "127.0.0.1:<port>".
std::string Loopback(uint16_t port);

// Checks that for every state the per-process series add up to
// sockwatch_tcp_sockets (test failures, not fatal).
void ExpectProcessSumsMatchHost(const Exposition& scrape);

// Checks that `object` has every key of the /sockets row contract (so that
// a null read through operator[] means null, not missing).
void ExpectSocketRowKeys(const Json& object);

// The fixture of the attribution tests: a private namespace (NetnsTest) and
// the agents a test starts. TearDown() stops the daemon, then the agents (by
// pid), then deletes the namespace, whatever the outcome.
class AttributionTest : public NetnsTest {
 protected:
  void TearDown() override;

  // Starts an agent; nullptr with a test failure when it cannot.
  Agent* NewAgent(const std::string& name, int max_fds = 0);

  // Waits up to 5 s for SettledSsOwners(); a fatal failure if it does not
  // settle (use ASSERT_NO_FATAL_FAILURE). Call after building sockets and
  // before the daemon samples them.
  void Settle();

  // GET `target` as JSON; nullopt with a test failure unless 200 and valid.
  std::optional<Json> GetJson(const std::string& target);

  std::vector<std::unique_ptr<Agent>> agents_;
};

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_ATTRIBUTION_SUPPORT_H_
