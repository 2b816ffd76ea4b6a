#include "side_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <system_error>
#include <thread>
#include <vector>

#include "child.h"

namespace sockwatch::it {
namespace {

constexpr char kRunDir[] = "/run/netns/";

std::atomic<int> counter{0};

// Runs `ip args...`; "" or the command line and what went wrong.
std::string Ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult run = RunCommand(argv, milliseconds(10000));
  if (!run.spawn_error.empty()) return run.spawn_error;
  if (run.status.Ok()) return "";
  std::string line;
  for (const std::string& arg : argv) line += arg + " ";
  return line + run.status.ToString() + ": " + run.err;
}

}  // namespace

uint64_t NetnsInodeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::unique_ptr<SideNetns> SideNetns::Create(std::string* error) {
  std::unique_ptr<SideNetns> ns(new SideNetns());
  // "-s<n>" keeps the pid right after the prefix, as Netns's stale-name
  // cleanup expects, and apart from Netns's own counter.
  const std::string name = "sockwatch-it-" + std::to_string(getpid()) + "-s" +
                           std::to_string(counter.fetch_add(1));
  *error = Ip({"netns", "add", name});
  if (!error->empty()) return nullptr;
  ns->name_ = name;
  ns->named_ = true;  // from here on the destructor deletes it
  *error = Ip({"-n", name, "link", "set", "lo", "up"});
  if (!error->empty()) return nullptr;
  ns->inode_ = NetnsInodeOf(ns->path());
  if (ns->inode_ == 0) {
    *error = "stat " + ns->path() + ": " + strerror(errno);
    return nullptr;
  }
  return ns;
}

SideNetns::~SideNetns() {
  const std::string error = Unname();
  if (!error.empty())
    std::cerr << "SideNetns " << name_ << ": " << error << "\n";
}

std::string SideNetns::path() const { return named_ ? kRunDir + name_ : ""; }

std::string SideNetns::RunInside(const std::function<void()>& fn) const {
  if (!named_) return "namespace " + name_ + " has no name any more";
  const int fd = open(path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "open " + path() + ": " + strerror(errno);
  std::string error;
  try {
    std::thread thread([&] {
      if (setns(fd, CLONE_NEWNET) != 0) {
        error = "setns " + path() + ": " + strerror(errno);
        return;
      }
      fn();
    });
    thread.join();
  } catch (const std::system_error& e) {
    error = std::string("thread: ") + e.what();
  }
  close(fd);
  return error;
}

std::string SideNetns::Unname() {
  if (!named_) return "";
  named_ = false;
  return Ip({"netns", "del", name_});
}

NetnsEntry::NetnsEntry(const std::string& path) {
  original_fd_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_fd_ < 0) {
    error_ = std::string("open /proc/thread-self/ns/net: ") + strerror(errno);
    return;
  }
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error_ = "open " + path + ": " + strerror(errno);
    return;
  }
  if (setns(fd, CLONE_NEWNET) != 0) {
    error_ = "setns " + path + ": " + strerror(errno);
  } else {
    entered_ = true;
  }
  close(fd);
}

NetnsEntry::~NetnsEntry() {
  if (entered_ && setns(original_fd_, CLONE_NEWNET) != 0) {
    std::cerr << "NetnsEntry: cannot return to the original namespace: "
              << strerror(errno) << "\n";
  }
  if (original_fd_ >= 0) close(original_fd_);
}

}  // namespace sockwatch::it
