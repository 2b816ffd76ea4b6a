#include "held_netns.h"

#include <fstream>

namespace sockwatch::it {
namespace {

constexpr size_t kLeakBytes = 100;  // unread in each CLOSE_WAIT socket

void PutNonZero(StateCounts* counts, const std::string& state, int64_t n) {
  if (n != 0) (*counts)[state] = n;
}

std::string MoveToCgroup(pid_t pid, const std::string& dir) {
  std::ofstream procs(dir + "/cgroup.procs");
  procs << pid << "\n";
  procs.flush();
  if (!procs) return "cannot move pid " + std::to_string(pid) + " to " + dir;
  return "";
}

}  // namespace

std::unique_ptr<HeldNetns> HeldNetns::Create(const HeldOptions& options,
                                             std::string* error) {
  std::unique_ptr<HeldNetns> held(new HeldNetns());
  *error = held->Build(options);
  if (!error->empty()) {
    *error = "namespace " + options.tag + ": " + *error;
    return nullptr;  // the destructor undoes what was made
  }
  return held;
}

std::string HeldNetns::Build(const HeldOptions& options) {
  mix_ = options.mix;
  server_name_ = options.tag + "-srv";
  client_name_ = options.tag + "-cli";
  std::string error;
  side_ = SideNetns::Create(&error);
  if (!side_) return error;
  name_ = side_->name();
  {
    NetnsEntry entry(side_->path());  // leaves again at the end of the block
    if (!entry.error().empty()) return entry.error();
    server_ = Agent::Start(server_name_, 0, &error);
    if (!server_) return error;
    client_ = Agent::Start(client_name_, 0, &error);
    if (!client_) return error;
    const uint16_t port = mix_.base_port;
    for (int i = 0; i < mix_.listeners && error.empty(); ++i) {
      error = server_->Listen(port + i);
    }
    for (int i = 0; i < mix_.pairs && error.empty(); ++i) {
      AgentSocket server_end, client_end;
      error = MakeEstablished(server_.get(), client_.get(), port, &server_end,
                              &client_end);
    }
    for (int i = 0; i < mix_.leaks && error.empty(); ++i) {
      Leak leak;
      error = MakeInboundLeak(server_.get(), client_.get(), port, kLeakBytes,
                              false, &leak);
    }
    if (!error.empty()) return error;
    auto rows = SettledSsOwners(milliseconds(5000), &error);
    if (!rows) return error;
    if (HostStatesOf(*rows) != Expected()) {
      return "ss shows " + Format(HostStatesOf(*rows)) + ", want " +
             Format(Expected());
    }
    if (ProcessStatesOf(*rows) != ExpectedByProcess()) {
      return "ss shows holders " + Format(ProcessStatesOf(*rows)) + ", want " +
             Format(ExpectedByProcess());
    }
  }
  if (!options.cgroup_dir.empty()) {
    for (const Agent* agent : {server_.get(), client_.get()}) {
      error = MoveToCgroup(agent->pid(), options.cgroup_dir);
      if (!error.empty()) return error;
    }
  }
  if (!options.keep_name) {
    error = side_->Unname();
    if (!error.empty()) return error;
    name_.clear();
  }
  return "";
}

std::string HeldNetns::DefaultLabel() const {
  return name_.empty() ? "inode:" + std::to_string(inode()) : name_;
}

StateCounts HeldNetns::Expected() const {
  StateCounts counts;
  PutNonZero(&counts, "listen", mix_.listeners);
  PutNonZero(&counts, "established", 2 * mix_.pairs);
  PutNonZero(&counts, "close_wait", mix_.leaks);
  PutNonZero(&counts, "fin_wait2", mix_.leaks);
  return counts;
}

ProcessStates HeldNetns::ExpectedByProcess() const {
  ProcessStates by_process;
  StateCounts& server = by_process[server_name_];
  PutNonZero(&server, "listen", mix_.listeners);
  PutNonZero(&server, "established", mix_.pairs);
  PutNonZero(&server, "close_wait", mix_.leaks);
  StateCounts& client = by_process[client_name_];
  PutNonZero(&client, "established", mix_.pairs);
  PutNonZero(&client, "fin_wait2", mix_.leaks);
  if (client.empty()) by_process.erase(client_name_);
  return by_process;
}

void HeldNetns::Destroy() {
  server_.reset();  // SIGKILL by pid, reaped
  client_.reset();
  side_.reset();  // removes the name if it is still there
  name_.clear();
}

}  // namespace sockwatch::it
