#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <system_error>

namespace sockwatch::it {
namespace {

constexpr char kPrefix[] = "sockwatch-it-";
constexpr char kRunDir[] = "/run/netns";

std::atomic<int> counter{0};

bool OnPath(const std::string& tool) {
  const char* path = getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  size_t begin = 0;
  while (begin <= dirs.size()) {
    size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = dirs.substr(begin, end - begin) + "/" + tool;
    if (access(candidate.c_str(), X_OK) == 0) return true;
    begin = end + 1;
  }
  return false;
}

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

// Deletes namespaces `sockwatch-it-<pid>-N` whose test process is gone.
void RemoveStale() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(kRunDir, ec)) {
    const std::string name = entry.path().filename();
    if (name.rfind(kPrefix, 0) != 0) continue;
    const pid_t pid = atoi(name.c_str() + strlen(kPrefix));
    if (pid <= 0 || pid == getpid() || !ProcessGone(pid)) continue;
    std::string error = Ip({"netns", "del", name});
    if (!error.empty()) std::cerr << "stale netns: " << error << "\n";
  }
}

}  // namespace

std::string RootSkipReason() {
  if (geteuid() != 0) {
    return "euid is " + std::to_string(geteuid()) + ", not 0";
  }
  if (!OnPath("ip")) return "no `ip` (iproute2) on PATH";
  return "";
}

std::unique_ptr<Netns> Netns::Create(std::string* error) {
  RemoveStale();
  std::unique_ptr<Netns> ns(new Netns());
  const std::string name = kPrefix + std::to_string(getpid()) + "-" +
                           std::to_string(counter.fetch_add(1));
  *error = Ip({"netns", "add", name});
  if (!error->empty()) return nullptr;
  ns->name_ = name;  // from here on the destructor deletes it
  *error = Ip({"-n", name, "link", "set", "lo", "up"});
  if (!error->empty()) return nullptr;
  ns->original_fd_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const std::string path = std::string(kRunDir) + "/" + name;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns->original_fd_ < 0 || fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    *error = "entering " + path + ": " + strerror(errno);
    if (fd >= 0) close(fd);
    return nullptr;
  }
  close(fd);
  ns->thread_id_ = gettid();
  return ns;
}

Netns::~Netns() {
  for (auto& child : children_) child->Stop();
  children_.clear();
  if (thread_id_ != 0) {
    if (gettid() != thread_id_) {
      std::cerr << "Netns " << name_ << " destroyed on another thread\n";
    } else if (setns(original_fd_, CLONE_NEWNET) != 0) {
      std::cerr << "Netns " << name_ << ": cannot return to the original "
                << "namespace: " << strerror(errno) << "\n";
    }
  }
  if (original_fd_ >= 0) close(original_fd_);
  if (!name_.empty()) {
    std::string error = Ip({"netns", "del", name_});
    if (!error.empty()) std::cerr << error << "\n";
  }
}

std::shared_ptr<Child> Netns::Spawn(const SpawnOptions& options,
                                    std::string* error) {
  std::shared_ptr<Child> child = Child::Spawn(options, error);
  if (child) children_.push_back(child);
  return child;
}

}  // namespace sockwatch::it
