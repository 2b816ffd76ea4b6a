// ProcScanner: which process holds which socket, from one pass over /proc.
//
// Scan() lists every process through a ProcFs, walks each one's fd table and
// builds a ProcessTable: the processes that hold at least one socket fd (with
// comm, exe, cgroup, systemd unit and fd usage) and, for every socket inode,
// the process that owns it. sock_diag's idiag_inode is looked up in that
// table with Find().
//
// Reading an fd's link is most of the cost (~2.5 us of kernel time per fd),
// so the scanner remembers, between scans, the socket fds it can trust and
// does not read them again: Remember() after a complete dump keeps each
// socket that the dump found, that exactly one fd on the host held, by
// (process, fd). If that fd is closed, its socket goes with it (nothing
// else held it), leaves the dump, and the fd is read again at the next scan
// but one; a socket that gains a second holder (fork, dup, SCM_RIGHTS) is
// read again as soon as the scan sees the new holder. So an answer taken
// from memory is wrong for at most one sample, and only in those races that
// an uncached scan also loses (a socket opened between scan and dump).
//
// Races are normal: a process or an fd may vanish between being listed and
// being read, and another user's processes may be unreadable without
// CAP_SYS_PTRACE. Each such entry is skipped and counted in AttributionStats
// by reason; a scan only fails as a whole when the proc root cannot be
// listed. The scanner owns nothing but reusable scratch space; not
// thread-safe (one sampler uses it).
#ifndef SOCKWATCH_COLLECTORS_PROC_SCANNER_H_
#define SOCKWATCH_COLLECTORS_PROC_SCANNER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectors/procfs.h"
#include "daemon/status.h"

namespace sockwatch {

struct ProcessInfo {
  int pid = 0;
  std::string comm;    // /proc/<pid>/comm without the trailing newline
  std::string exe;     // basename of the /proc/<pid>/exe target; "" when
                       // unreadable; a trailing " (deleted)" is stripped
  std::string cgroup;  // cgroup v2 path from the "0::<path>" line; "" if none
  std::string unit;    // UnitFromCgroup(cgroup)
  uint32_t open_fds = 0;
  uint64_t max_fds = 0;  // soft "Max open files": 0 unknown, UINT64_MAX for
                         // "unlimited"
  uint64_t token = 0;    // ProcFs::ListPids' token for this process
};

// 12 bytes: one per socket fd on the host, so a million of them matter.
struct SocketOwner {
  uint32_t inode;
  uint32_t process : 24;  // index into ProcessTable::processes (pid_max is
                          // at most 2^22)
  uint32_t shared : 1;    // held by more than one process (after fork): the
                          // lowest pid is the owner
  uint32_t dup : 1;       // held by more than one fd, in any processes
  uint32_t seen : 1;      // Claim()ed: the dump found this socket
  uint32_t unused : 5;
  int32_t fd;  // the owner's lowest fd for this inode

  static SocketOwner Of(uint32_t inode, uint32_t process, int32_t fd,
                        bool shared = false) {
    return {inode, process, shared, 0, 0, 0, fd};
  }
};
static_assert(sizeof(SocketOwner) == 12, "SocketOwner grew");

// Why an entry could not be read; exported as reason="vanished|permission|
// other".
enum class AttributionError { kVanished, kPermission, kOther, kCount };
std::string_view AttributionErrorName(AttributionError e);
// ENOENT/ESRCH -> kVanished, EACCES/EPERM -> kPermission, else kOther.
AttributionError ClassifyErrno(int err);

struct AttributionStats {
  std::array<uint64_t, static_cast<size_t>(AttributionError::kCount)> errors{};
  uint64_t processes_scanned = 0;     // processes whose fd dir was read
  uint64_t unreadable_processes = 0;  // fd dir not readable (permission)
  uint64_t socket_fds = 0;            // socket fds seen, before dedup
  uint64_t links_read = 0;            // fd links read (not remembered)

  void Count(AttributionError e) { ++errors[static_cast<size_t>(e)]; }
  uint64_t Of(AttributionError e) const {
    return errors[static_cast<size_t>(e)];
  }
};

// The processes found in one network namespace.
struct NetnsProcesses {
  uint64_t inode = 0;     // of /proc/<pid>/ns/net
  std::vector<int> pids;  // the lowest ones, ascending, at most kMaxNetnsPids
};
inline constexpr size_t kMaxNetnsPids = 8;

struct ProcessTable {
  std::vector<ProcessInfo> processes;  // holders of >= 1 socket fd, by pid
  std::vector<SocketOwner> owners;     // sorted by inode, one per inode
  std::vector<NetnsProcesses> netns;   // when discovering namespaces

  // nullptr when no process holds `inode` (or it is 0). A binary search,
  // within the inode range's bucket once IndexOwners() has run.
  const SocketOwner* Find(uint32_t inode) const;
  // Find() that also marks the owner seen, for ProcScanner::Remember().
  const SocketOwner* Claim(uint32_t inode);
  // Buckets `owners` by inode range (at most 64 Ki buckets, 4 bytes each),
  // so that a Find() searches a few owners instead of all. Call it again
  // after changing `owners`; Scan() does.
  void IndexOwners();

 private:
  std::vector<uint32_t> buckets_;  // first owner of each range, then size
  uint32_t base_ = 0;              // the lowest inode
  int shift_ = 0;  // range of an inode: (inode - base_) >> shift_
};

class ProcScanner {
 public:
  explicit ProcScanner(ProcFs* fs);  // does not own fs
  // Scan() returns ECANCELED as soon as *cancel is true (shutdown).
  void set_cancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }
  // Whether Scan() walks fd tables (attribution; on by default) and notes
  // each process's network namespace (one readlink per process; off).
  void set_scan_fds(bool on) { scan_fds_ = on; }
  void set_discover_netns(bool on) { discover_netns_ = on; }
  ProcScanner(const ProcScanner&) = delete;
  ProcScanner& operator=(const ProcScanner&) = delete;

  // One pass over every process, in ascending pid order: fds first, then
  // comm/exe/cgroup/limits only for processes that hold sockets. Replaces
  // *out and resets *stats to this pass's counts. Entries that vanish or
  // cannot be read are counted and skipped (a process whose metadata cannot
  // be read stays in the table with those fields empty). Fails only when the
  // root cannot be listed: then returns that error and *out is empty.
  // Memory: 12 bytes per socket fd (the owner table is built in place) plus
  // per-process info; no per-fd strings.
  // Uses, and then drops, what Remember() kept.
  Status Scan(ProcessTable* out, AttributionStats* stats);

  // Keeps for the next Scan() the sockets of `table` (the last Scan()'s)
  // that were Claim()ed and held by exactly one fd. Call it only after a
  // complete dump: an unclaimed socket is one the dump did not find. Memory:
  // 4 bytes per fd number below each process's highest kept fd.
  void Remember(const ProcessTable& table);
  // Drops what Remember() kept; the next Scan() reads every link.
  void Forget() { known_.clear(); }

 private:
  struct KnownProcess {
    int pid = 0;
    uint64_t token = 0;
    std::vector<uint32_t> inode_by_fd;  // 0: read the link
  };

  void ReadMetadata(ProcessInfo* info, AttributionStats* stats);
  void NoteNetns(int pid, ProcessTable* out);

  ProcFs* fs_;
  std::vector<std::pair<int, uint64_t>> pids_;  // scratch: (pid, token)
  std::string file_;                            // scratch, reused
  size_t last_socket_fds_ = 0;       // socket fds seen by the previous scan
  std::vector<KnownProcess> known_;  // by pid
  bool scan_fds_ = true;
  bool discover_netns_ = false;
  std::unordered_map<uint64_t, size_t> netns_index_;  // scratch
  const std::atomic<bool>* cancel_ = nullptr;
};

// Pure parsers, exposed for tests.

// "/system.slice/nginx.service" -> "nginx.service";
// "/user.slice/user-1000.slice/session-4.scope" -> "session-4.scope";
// "/system.slice/docker-abc.scope/init" -> "docker-abc.scope" (the LAST path
// component ending in .service or .scope); "-" when none ("/" or "").
std::string UnitFromCgroup(std::string_view cgroup_path);

// The path of the "0::<path>" line of /proc/<pid>/cgroup, without a trailing
// " (deleted)"; "" when there is none (a cgroup v1 only host).
std::string_view CgroupV2Path(std::string_view proc_cgroup);

// The soft limit of the "Max open files" line of /proc/<pid>/limits:
// UINT64_MAX for "unlimited", 0 when absent or unparsable.
uint64_t MaxOpenFiles(std::string_view proc_limits);

// Basename of an exe link target, without a trailing " (deleted)".
std::string_view ExeName(std::string_view target);

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_PROC_SCANNER_H_
