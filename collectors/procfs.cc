#include "collectors/procfs.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <utility>

namespace sockwatch {
namespace {

// pid_max cannot exceed 2^22, so a proc root listing more entries than this
// is not a proc root.
constexpr uint64_t kMaxRootEntries = uint64_t{1} << 23;
// fs.nr_open cannot exceed ~2^30.
constexpr uint64_t kMaxFdEntries = uint64_t{1} << 30;
constexpr size_t kDentsBufferWords = 8 << 10;  // 64 KiB
constexpr int kMaxEintrRetries = 8;

// Layout of struct linux_dirent64 (no glibc header declares it).
constexpr size_t kDirentReclenOffset = 16;
constexpr size_t kDirentNameOffset = 19;

// Reads the entries of the open directory `dir_fd` with getdents64 into
// `buffer` and calls fn(name, c_name, ino) for each: `name` without, `c_name`
// with its NUL terminator (for *at() calls), `ino` the entry's d_ino; fn
// returns false to stop early.
// Returns 0 or an errno; EOVERFLOW when the directory has more than
// `max_entries` entries.
template <typename Fn>
int ForEachEntry(int dir_fd, std::vector<uint64_t>* buffer,
                 uint64_t max_entries, Fn&& fn) {
  char* buf = reinterpret_cast<char*>(buffer->data());
  const size_t size = buffer->size() * sizeof(uint64_t);
  uint64_t seen = 0;
  int interrupted = 0;
  // Bounded: every pass either ends the loop or consumes at least one entry,
  // and entries are capped at max_entries.
  for (;;) {
    const long n = syscall(SYS_getdents64, dir_fd, buf, size);
    if (n < 0) {
      if (errno == EINTR && ++interrupted < kMaxEintrRetries) continue;
      return errno;
    }
    if (n == 0) return 0;
    long off = 0;
    while (off < n) {
      uint16_t reclen = 0;
      std::memcpy(&reclen, buf + off + kDirentReclenOffset, sizeof(reclen));
      if (reclen <= kDirentNameOffset || off + reclen > n) return EIO;
      if (++seen > max_entries) return EOVERFLOW;
      const char* name = buf + off + kDirentNameOffset;
      uint64_t ino = 0;
      std::memcpy(&ino, buf + off, sizeof(ino));
      if (!fn(std::string_view(name, strnlen(name, reclen - kDirentNameOffset)),
              name, ino)) {
        return 0;
      }
      off += reclen;
    }
  }
}

// "<pid>/<name>" into `path`. False when it does not fit.
bool PidPath(int pid, const char* name, char* path, size_t size) {
  const int n = std::snprintf(path, size, "%d/%s", pid, name);
  return n > 0 && static_cast<size_t>(n) < size;
}

}  // namespace

bool ParseDecimal(std::string_view text, int* value) {
  if (text.empty() || text.size() > 10) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > INT_MAX) return false;
  *value = static_cast<int>(v);
  return true;
}

bool ParseSocketLink(std::string_view target, uint32_t* inode) {
  constexpr std::string_view kPrefix = "socket:[";
  if (target.size() < kPrefix.size() + 2 ||
      target.substr(0, kPrefix.size()) != kPrefix || target.back() != ']') {
    return false;
  }
  const std::string_view digits =
      target.substr(kPrefix.size(), target.size() - kPrefix.size() - 1);
  if (digits.size() > 10) return false;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return false;
  *inode = static_cast<uint32_t>(v);
  return true;
}

RealProcFs::RealProcFs(std::string root)
    : root_(std::move(root)),
      pid_dents_(kDentsBufferWords),
      fd_dents_(kDentsBufferWords) {}

RealProcFs::~RealProcFs() {
  if (root_fd_ >= 0) close(root_fd_);
}

int RealProcFs::RootFd() {
  if (root_fd_ < 0) {
    root_fd_ = open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd_ < 0) return -errno;
  }
  return root_fd_;
}

Status RealProcFs::ListPids(
    const std::function<void(int pid, uint64_t token)>& fn) {
  const int root = RootFd();
  if (root < 0) {
    return Status::Error("cannot open " + root_ + ": " + std::strerror(-root),
                         -root);
  }
  if (lseek(root, 0, SEEK_SET) < 0) {
    const int err = errno;
    return Status::Error("cannot rewind " + root_ + ": " + std::strerror(err),
                         err);
  }
  const int err =
      ForEachEntry(root, &pid_dents_, kMaxRootEntries,
                   [&fn](std::string_view name, const char*, uint64_t ino) {
                     int pid = 0;
                     if (ParseDecimal(name, &pid) && pid > 0) {
                       fn(pid, ino);
                     }
                     return true;
                   });
  if (err != 0) {
    return Status::Error("cannot list " + root_ + ": " + std::strerror(err),
                         err);
  }
  return Status::Ok();
}

int RealProcFs::ScanFds(int pid, const std::vector<uint32_t>* known,
                        const std::function<void(int fd, uint32_t inode)>& fn,
                        FdScan* scan) {
  *scan = FdScan{};
  const int root = RootFd();
  if (root < 0) return -root;
  char path[32];
  if (!PidPath(pid, "fd", path, sizeof(path))) return ENAMETOOLONG;
  const int dir = openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return errno;

  uint32_t listed = 0;
  uint32_t vanished = 0;
  uint32_t cached = 0;
  int link_error = 0;
  int err = ForEachEntry(
      dir, &fd_dents_, kMaxFdEntries,
      [&](std::string_view name, const char* c_name, uint64_t) {
        int fd = 0;
        if (!ParseDecimal(name, &fd)) return true;  // "." and ".."
        ++listed;
        if (known != nullptr && static_cast<size_t>(fd) < known->size() &&
            (*known)[fd] != 0) {
          ++cached;
          fn(fd, (*known)[fd]);
          return true;
        }
        // "socket:[4294967295]" is 19 bytes: anything that fills this buffer
        // is some other kind of target.
        char target[64];
        const ssize_t n = readlinkat(dir, c_name, target, sizeof(target));
        if (n < 0) {
          if (errno != ENOENT && errno != ESRCH) {
            link_error = errno;  // e.g. EACCES after a credential change
            return false;
          }
          ++vanished;
          return true;
        }
        uint32_t inode = 0;
        if (ParseSocketLink(std::string_view(target, static_cast<size_t>(n)),
                            &inode)) {
          fn(fd, inode);
        }
        return true;
      });
  close(dir);
  if (err == 0) err = link_error;
  if (err != 0) return err;
  scan->open_fds = listed - vanished;
  scan->vanished_fds = vanished;
  scan->links_read = listed - cached;
  return 0;
}

int RealProcFs::ReadFile(int pid, const char* name, std::string* out) {
  out->clear();
  const int root = RootFd();
  if (root < 0) return -root;
  char path[256];
  if (!PidPath(pid, name, path, sizeof(path))) return ENAMETOOLONG;
  const int file = openat(root, path, O_RDONLY | O_CLOEXEC);
  if (file < 0) return errno;
  char chunk[4096];
  int err = 0;
  int interrupted = 0;
  // Bounded: every pass reads at least one byte or ends the loop, and the
  // total is capped at kMaxFileSize.
  while (out->size() < kMaxFileSize) {
    const size_t want = std::min(sizeof(chunk), kMaxFileSize - out->size());
    const ssize_t n = read(file, chunk, want);
    if (n < 0) {
      if (errno == EINTR && ++interrupted < kMaxEintrRetries) continue;
      err = errno;
      break;
    }
    if (n == 0) break;
    out->append(chunk, static_cast<size_t>(n));
  }
  close(file);
  if (err != 0) out->clear();
  return err;
}

int RealProcFs::ReadLink(int pid, const char* name, std::string* out) {
  out->clear();
  const int root = RootFd();
  if (root < 0) return -root;
  char path[256];
  if (!PidPath(pid, name, path, sizeof(path))) return ENAMETOOLONG;
  char target[PATH_MAX];
  const ssize_t n = readlinkat(root, path, target, sizeof(target));
  if (n < 0) return errno;
  if (static_cast<size_t>(n) >= sizeof(target)) return ENAMETOOLONG;
  out->assign(target, static_cast<size_t>(n));
  return 0;
}

}  // namespace sockwatch
