// CgroupResolver: sock_diag's INET_DIAG_CGROUP_ID -> cgroup v2 path.
//
// The id the kernel reports is the cgroup v2 id, which is the inode number of
// the cgroup's directory under the cgroup2 mount. Checked on Linux 6.18
// (Debian 12 userland): a process moved into a new cgroup
// swtest.slice/probe.service opened a listening socket, sock_diag reported
// INET_DIAG_CGROUP_ID 44, and `stat -c %i` of that directory printed 44; the
// root cgroup is id 1, the mount root's inode. So the resolver walks the tree
// once, maps each directory's st_ino to its path, and answers from that map.
// Note: on a hybrid (v1 + v2) host such as that one, the cgroup2 mount is
// /sys/fs/cgroup/unified, not /sys/fs/cgroup; the caller picks the root.
//
// An unknown id (a cgroup created since the last walk) triggers a new walk,
// at most one per min_rescan, so a socket in a cgroup that is already gone
// cannot make every sample walk the tree. A walk replaces the whole map, so
// removed cgroups drop out. The walk stays on the root's filesystem, follows
// no symlinks, and visits at most max_directories directories (100k by
// default); a failed walk keeps the previous map.
//
// Not thread-safe: one sampler uses it. Owns no fds between calls.
#ifndef SOCKWATCH_COLLECTORS_CGROUP_RESOLVER_H_
#define SOCKWATCH_COLLECTORS_CGROUP_RESOLVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

namespace sockwatch {

class CgroupResolver {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr size_t kMaxDirectories = 100000;

  struct Stats {
    uint64_t rescans = 0;      // walks of the tree, the first one included
    uint64_t directories = 0;  // directories in the map after the last walk
    bool truncated = false;    // the last walk stopped at max_directories
    int last_error = 0;        // errno of the last failed walk, 0 if none
  };

  // root: the cgroup2 mount (default "/sys/fs/cgroup"); min_rescan: the
  // least time between two walks of the tree triggered by unknown ids; now:
  // the clock (tests pass a fake); max_directories: the walk's bound.
  CgroupResolver(std::string root, std::chrono::seconds min_rescan,
                 Clock now = std::chrono::steady_clock::now,
                 size_t max_directories = kMaxDirectories);
  CgroupResolver(const CgroupResolver&) = delete;
  CgroupResolver& operator=(const CgroupResolver&) = delete;

  // The cgroup path of `id` relative to root with a leading "/"
  // ("/system.slice/x.service", "/" for the root), or "" when unknown (also
  // when the tree cannot be read). Cached; a miss walks the tree again when
  // min_rescan has passed since the last walk (the first call always walks).
  std::string Resolve(uint64_t id);

  const Stats& stats() const { return stats_; }

 private:
  // Walks the tree into paths_. Returns 0 or an errno (then paths_ is kept).
  int Rescan();

  std::string root_;
  std::chrono::seconds min_rescan_;
  Clock now_;
  size_t max_directories_;
  bool scanned_ = false;
  std::chrono::steady_clock::time_point last_scan_{};
  std::unordered_map<uint64_t, std::string> paths_;  // id -> "/a/b"
  Stats stats_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_CGROUP_RESOLVER_H_
