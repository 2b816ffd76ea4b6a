// ProcFs: the kernel seam for /proc, as used by process attribution.
//
// ProcFs lists processes, walks a process's fd table and reads a few small
// per-process files. Everything that can go wrong comes back as an errno
// value, classified like this:
//   0               ok
//   ENOENT / ESRCH  the process (or the fd) vanished: a normal race
//   EACCES / EPERM  not permitted (another user's process without
//                   CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH)
//   anything else   other
// Tests drive the scanner into each of these through a fake ProcFs.
//
// RealProcFs reads a proc tree rooted at a path ("/proc" in production, a
// fixture tree of real directories, files and symlinks in tests). It is built
// for hosts with a million socket fds: it keeps an O_DIRECTORY fd of the
// root, reads directories with the raw getdents64 syscall into one reusable
// buffer, and readlinkat()s each fd relative to the fd directory into a stack
// buffer: no opendir/readdir allocations, no per-fd path strings, no stat().
// Not thread-safe (shared buffers, one root fd); owns its root fd. ListPids'
// fn may call the other methods; ScanFds' fn must not call ScanFds.
#ifndef SOCKWATCH_COLLECTORS_PROCFS_H_
#define SOCKWATCH_COLLECTORS_PROCFS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/status.h"

namespace sockwatch {

// What one walk of a process's fd table found besides its sockets.
struct FdScan {
  uint32_t open_fds = 0;      // entries listed minus those that vanished
  uint32_t vanished_fds = 0;  // listed, but gone when their link was read
  uint32_t links_read = 0;    // links actually read (not taken from `known`)
};

class ProcFs {
 public:
  virtual ~ProcFs() = default;

  // Calls fn(pid, token) for every numeric entry of the proc root
  // (thread-group leaders only; /proc/<pid>/task is never walked), in
  // directory order, not numeric order. `token` tells processes apart that
  // reuse a pid: a pid listed with the same token as before is the same
  // process (a new token does not prove a new process). Error status (with
  // its errno) when the root cannot be read; fn may have been called for
  // some pids before a failure.
  virtual Status ListPids(
      const std::function<void(int pid, uint64_t token)>& fn) = 0;

  // Walks /proc/<pid>/fd: calls fn(fd, inode) for every fd whose link target
  // is "socket:[<inode>]". `known` (may be null) holds socket inodes by fd
  // from an earlier walk of the same process: an fd listed now whose entry
  // there is non-zero is reported with that inode and its link is not read
  // (the link read is what costs: ~2.5 us per fd). Fills *scan. Returns 0 or
  // an errno; on error fn may already have been called for some fds of this
  // process and the caller should discard them.
  virtual int ScanFds(int pid, const std::vector<uint32_t>* known,
                      const std::function<void(int fd, uint32_t inode)>& fn,
                      FdScan* scan) = 0;

  // Reads /proc/<pid>/<name> (small files: comm, cgroup, limits) into *out,
  // replacing its contents. Returns 0 or an errno.
  virtual int ReadFile(int pid, const char* name, std::string* out) = 0;

  // readlink of /proc/<pid>/<name> (e.g. "exe") into *out. Returns 0 or an
  // errno.
  virtual int ReadLink(int pid, const char* name, std::string* out) = 0;
};

class RealProcFs final : public ProcFs {
 public:
  // Files read by ReadFile are cut at this size (the ones we read are far
  // smaller: limits is ~1.4 KiB).
  static constexpr size_t kMaxFileSize = 64 << 10;

  // `root` is opened lazily, on first use; a root that cannot be opened
  // makes every call fail with its errno.
  explicit RealProcFs(std::string root = "/proc");
  ~RealProcFs() override;
  RealProcFs(const RealProcFs&) = delete;
  RealProcFs& operator=(const RealProcFs&) = delete;

  // The token is the d_ino of /proc/<pid>: proc gives a process's directory
  // a fresh inode number, and flushes it when the process exits.
  Status ListPids(
      const std::function<void(int pid, uint64_t token)>& fn) override;
  int ScanFds(int pid, const std::vector<uint32_t>* known,
              const std::function<void(int fd, uint32_t inode)>& fn,
              FdScan* scan) override;
  int ReadFile(int pid, const char* name, std::string* out) override;
  int ReadLink(int pid, const char* name, std::string* out) override;

 private:
  // The root directory fd, opened on first use. -errno on failure.
  int RootFd();

  std::string root_;
  int root_fd_ = -1;
  // getdents64 buffers (8-byte aligned), one per kind of directory so that
  // ListPids' fn may call ScanFds.
  std::vector<uint64_t> pid_dents_;
  std::vector<uint64_t> fd_dents_;
};

// Pure helpers, exposed for tests.

// Parses a link target "socket:[<inode>]". False for anything else
// (including an inode that does not fit 32 bits, as sock_diag's does).
bool ParseSocketLink(std::string_view target, uint32_t* inode);

// Parses a non-negative decimal number that fits an int ("3", not "03x" or
// ""). False otherwise. Used for pid and fd directory entries.
bool ParseDecimal(std::string_view text, int* value);

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_PROCFS_H_
