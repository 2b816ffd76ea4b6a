#include "collectors/cgroup_resolver.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <vector>

namespace sockwatch {
namespace {

// Directory entries read per walk, files included, per directory allowed in
// the map: a cgroup directory holds a few dozen control files.
constexpr size_t kEntriesPerDirectory = 256;

struct Walk {
  int root_fd = -1;
  dev_t dev = 0;
  size_t max_directories = 0;
  size_t entry_budget = 0;
  std::unordered_map<uint64_t, std::string> paths;  // id -> "/a/b"
  std::vector<std::string> pending;  // relative paths ("a/b") to list
  bool truncated = false;
};

// Lists directory `rel` (relative to the root, "" for the root itself):
// records each subdirectory on the root's filesystem in walk->paths and
// queues it in walk->pending. Returns 0 or an errno.
int ListDirectory(const std::string& rel, Walk* walk) {
  const int fd = openat(walk->root_fd, rel.empty() ? "." : rel.c_str(),
                        O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno;
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    const int err = errno;
    close(fd);
    return err;
  }
  int err = 0;
  // Bounded by the walk's entry budget.
  for (;;) {
    errno = 0;
    const dirent* entry = readdir(dir);
    if (entry == nullptr) {
      err = errno;
      break;
    }
    if (walk->entry_budget == 0) {
      walk->truncated = true;
      break;
    }
    --walk->entry_budget;
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN) continue;
    struct stat st;
    if (fstatat(fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISDIR(st.st_mode) || st.st_dev != walk->dev) continue;
    if (walk->paths.size() >= walk->max_directories) {
      walk->truncated = true;
      break;
    }
    std::string child =
        rel.empty() ? std::string(name) : rel + "/" + std::string(name);
    walk->paths.emplace(st.st_ino, "/" + child);
    walk->pending.push_back(std::move(child));
  }
  closedir(dir);
  return err;
}

}  // namespace

CgroupResolver::CgroupResolver(std::string root,
                               std::chrono::seconds min_rescan, Clock now,
                               size_t max_directories)
    : root_(std::move(root)),
      min_rescan_(min_rescan),
      now_(std::move(now)),
      max_directories_(max_directories) {}

std::string CgroupResolver::Resolve(uint64_t id) {
  if (id == 0) return "";  // the kernel sent no cgroup id
  auto it = paths_.find(id);
  if (it != paths_.end()) return it->second;
  if (scanned_ && now_() - last_scan_ < min_rescan_) return "";
  if (Rescan() != 0) return "";
  it = paths_.find(id);
  return it == paths_.end() ? "" : it->second;
}

int CgroupResolver::Rescan() {
  ++stats_.rescans;
  scanned_ = true;
  last_scan_ = now_();

  Walk walk;
  walk.max_directories = max_directories_;
  walk.entry_budget = max_directories_ * kEntriesPerDirectory;
  walk.root_fd = open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int err = 0;
  struct stat st;
  if (walk.root_fd < 0) {
    err = errno;
  } else if (fstat(walk.root_fd, &st) != 0) {
    err = errno;
  } else {
    walk.dev = st.st_dev;
    walk.paths.emplace(st.st_ino, "/");
    err = ListDirectory("", &walk);
  }
  if (err != 0) {
    if (walk.root_fd >= 0) close(walk.root_fd);
    stats_.last_error = err;
    return err;
  }
  // Bounded: every directory is queued once, and at most max_directories
  // are recorded. A subdirectory that vanished or cannot be read is skipped.
  while (!walk.pending.empty() && !walk.truncated) {
    const std::string rel = std::move(walk.pending.back());
    walk.pending.pop_back();
    ListDirectory(rel, &walk);
  }
  close(walk.root_fd);
  paths_ = std::move(walk.paths);
  stats_.directories = paths_.size();
  stats_.truncated = walk.truncated;
  stats_.last_error = 0;
  return 0;
}

}  // namespace sockwatch
