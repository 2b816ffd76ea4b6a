#include "collectors/netns_socket.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <system_error>
#include <thread>

namespace sockwatch {
namespace {

// The device of the kernel's namespace filesystem (nsfs: one superblock for
// every namespace of the host), 0 when /proc/self/ns/net cannot be read.
dev_t NsfsDevice() {
  static const dev_t device = [] {
    struct stat st;
    return stat("/proc/self/ns/net", &st) == 0 ? st.st_dev : dev_t{0};
  }();
  return device;
}

bool OnNsfs(const std::string& path, const struct stat& st) {
  const dev_t nsfs = NsfsDevice();
  if (nsfs != 0) return st.st_dev == nsfs;
  struct statfs fs;
  return statfs(path.c_str(), &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

}  // namespace

int NetnsInode(const std::string& path, uint64_t* inode) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return errno;
  if (!OnNsfs(path, st)) return EINVAL;
  *inode = st.st_ino;
  return 0;
}

std::optional<uint64_t> ParseNetnsLink(std::string_view link) {
  constexpr std::string_view kPrefix = "net:[";
  if (link.size() < kPrefix.size() + 2 ||
      link.substr(0, kPrefix.size()) != kPrefix || link.back() != ']') {
    return std::nullopt;
  }
  const std::string_view digits =
      link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1);
  if (digits.front() < '0' || digits.front() > '9') return std::nullopt;
  uint64_t value = 0;
  const auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return value;
}

int OpenSockDiagSocketIn(const std::string& netns_path, int* error) {
  const int ns_fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) {
    *error = errno;
    return -1;
  }
  int sock = -1;
  int err = 0;
  // setns() changes only the calling thread; this one ends right after, so
  // no thread of the daemon is ever left in a foreign namespace. The socket
  // stays in the namespace it was created in.
  auto create = [ns_fd, &sock, &err] {
    if (setns(ns_fd, CLONE_NEWNET) != 0) {
      err = errno;
      return;
    }
    sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (sock < 0) err = errno;
  };
  try {
    std::thread thread(create);
    thread.join();  // cannot throw: the thread is joinable and not us
  } catch (const std::system_error& e) {
    // The thread could not be started (EAGAIN): the lambda never ran.
    err = e.code().value() != 0 ? e.code().value() : EAGAIN;
  }
  close(ns_fd);
  if (sock < 0) *error = err != 0 ? err : EIO;
  return sock;
}

}  // namespace sockwatch
