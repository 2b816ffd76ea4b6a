#include "collectors/proc_scanner.h"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "collectors/netns_socket.h"

namespace sockwatch {
namespace {

constexpr std::array<std::string_view,
                     static_cast<size_t>(AttributionError::kCount)>
    kErrorNames = {"vanished", "permission", "other"};

constexpr std::string_view kDeleted = " (deleted)";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view StripDeleted(std::string_view s) {
  return EndsWith(s, kDeleted) ? s.substr(0, s.size() - kDeleted.size()) : s;
}

// A unit name: "<something>.service" or "<something>.scope".
bool IsUnit(std::string_view component) {
  for (std::string_view suffix : {".service", ".scope"}) {
    if (component.size() > suffix.size() && EndsWith(component, suffix)) {
      return true;
    }
  }
  return false;
}

// A functor, not a function pointer, so that std::sort inlines it.
struct OwnerLess {
  bool operator()(const SocketOwner& a, const SocketOwner& b) const {
    if (a.inode != b.inode) return a.inode < b.inode;
    if (a.process != b.process) return a.process < b.process;
    return a.fd < b.fd;
  }
};

constexpr size_t kMaxBuckets = size_t{1} << 16;

// Collapses runs of the same inode in `owners` (sorted by OwnerLess) into
// their first entry, marking it shared when more than one process holds it
// and dup when more than one fd does.
void CollapseOwners(std::vector<SocketOwner>* owners) {
  std::vector<SocketOwner>& v = *owners;
  size_t write = 0;
  size_t read = 0;
  while (read < v.size()) {
    const SocketOwner first = v[read];
    const size_t start = read;
    bool shared = false;
    for (++read; read < v.size() && v[read].inode == first.inode; ++read) {
      shared |= v[read].process != first.process;
    }
    v[write] = first;
    v[write].shared = shared;
    v[write].dup = read - start > 1;
    ++write;
  }
  v.resize(write);
}

// Keeps a process's fds by number only when its fd numbers are not too
// sparse for a dense table.
constexpr size_t kMaxSlotsPerFd = 4;
constexpr size_t kMinSlots = 1024;

}  // namespace

std::string_view AttributionErrorName(AttributionError e) {
  return kErrorNames[static_cast<size_t>(e)];
}

AttributionError ClassifyErrno(int err) {
  switch (err) {
    case ENOENT:
    case ESRCH:
      return AttributionError::kVanished;
    case EACCES:
    case EPERM:
      return AttributionError::kPermission;
    default:
      return AttributionError::kOther;
  }
}

const SocketOwner* ProcessTable::Claim(uint32_t inode) {
  auto* owner = const_cast<SocketOwner*>(Find(inode));
  if (owner != nullptr) owner->seen = 1;
  return owner;
}

const SocketOwner* ProcessTable::Find(uint32_t inode) const {
  if (inode == 0 || owners.empty()) return nullptr;
  auto begin = owners.begin();
  auto end = owners.end();
  if (!buckets_.empty()) {
    if (inode < base_) return nullptr;
    const size_t b = static_cast<size_t>(inode - base_) >> shift_;
    if (b + 1 >= buckets_.size()) return nullptr;
    end = begin + buckets_[b + 1];
    begin += buckets_[b];
  }
  auto it = std::lower_bound(
      begin, end, inode,
      [](const SocketOwner& o, uint32_t value) { return o.inode < value; });
  if (it == end || it->inode != inode) return nullptr;
  return &*it;
}

void ProcessTable::IndexOwners() {
  buckets_.clear();
  if (owners.empty()) return;
  base_ = owners.front().inode;
  const uint32_t span = owners.back().inode - base_;
  const size_t wanted = std::min(kMaxBuckets, owners.size());
  shift_ = 0;
  while ((static_cast<size_t>(span) >> shift_) >= wanted) ++shift_;
  const size_t count = (static_cast<size_t>(span) >> shift_) + 1;
  buckets_.assign(count + 1, 0);
  size_t i = 0;
  for (size_t b = 0; b < count; ++b) {
    buckets_[b] = static_cast<uint32_t>(i);
    while (i < owners.size() &&
           (static_cast<size_t>(owners[i].inode - base_) >> shift_) == b) {
      ++i;
    }
  }
  buckets_[count] = static_cast<uint32_t>(owners.size());
}

ProcScanner::ProcScanner(ProcFs* fs) : fs_(fs) {}

Status ProcScanner::Scan(ProcessTable* out, AttributionStats* stats) {
  out->processes.clear();
  out->owners.clear();
  out->netns.clear();
  netns_index_.clear();
  *stats = AttributionStats{};
  pids_.clear();
  Status listed = fs_->ListPids(
      [this](int pid, uint64_t token) { pids_.emplace_back(pid, token); });
  if (!listed.ok()) {
    known_.clear();
    return listed;
  }
  // getdents order is not numeric; the owner of a shared socket is the
  // lowest pid, and process indices follow pid order.
  std::sort(pids_.begin(), pids_.end());
  pids_.erase(std::unique(pids_.begin(), pids_.end()), pids_.end());

  std::vector<SocketOwner>& owners = out->owners;
  // Sized from the last scan so the table does not grow by doubling (which
  // would briefly need twice its size).
  owners.reserve(last_socket_fds_ + last_socket_fds_ / 8 + 1024);
  auto known = known_.begin();  // both by pid: walked side by side
  for (const auto& [pid, token] : pids_) {
    if (cancel_ != nullptr && cancel_->load()) {
      known_.clear();
      return Status::Error("process scan cancelled", ECANCELED);
    }
    if (discover_netns_) NoteNetns(pid, out);
    if (!scan_fds_) continue;
    while (known != known_.end() && known->pid < pid) ++known;
    const std::vector<uint32_t>* remembered =
        known != known_.end() && known->pid == pid && known->token == token
            ? &known->inode_by_fd
            : nullptr;
    const size_t first = owners.size();
    const auto index = static_cast<uint32_t>(out->processes.size());
    FdScan scan;
    const int err = fs_->ScanFds(
        pid, remembered,
        [&owners, index](int fd, uint32_t inode) {
          if (inode != 0) owners.push_back(SocketOwner::Of(inode, index, fd));
        },
        &scan);
    stats->links_read += scan.links_read;
    if (err != 0) {
      owners.resize(first);  // drop what a failed walk delivered
      const AttributionError e = ClassifyErrno(err);
      stats->Count(e);
      if (e == AttributionError::kPermission) ++stats->unreadable_processes;
      continue;
    }
    ++stats->processes_scanned;
    stats->errors[static_cast<size_t>(AttributionError::kVanished)] +=
        scan.vanished_fds;
    if (owners.size() == first) continue;
    stats->socket_fds += owners.size() - first;
    ProcessInfo info;
    info.pid = pid;
    info.token = token;
    info.open_fds = scan.open_fds;
    out->processes.push_back(std::move(info));
  }
  known_.clear();
  known_.shrink_to_fit();

  for (ProcessInfo& info : out->processes) {
    ReadMetadata(&info, stats);
    info.unit = UnitFromCgroup(info.cgroup);
  }

  last_socket_fds_ = owners.size();
  std::sort(owners.begin(), owners.end(), OwnerLess());
  CollapseOwners(&owners);
  out->IndexOwners();
  return Status::Ok();
}

void ProcScanner::NoteNetns(int pid, ProcessTable* out) {
  if (fs_->ReadLink(pid, "ns/net", &file_) != 0) return;  // gone or hidden
  const std::optional<uint64_t> inode = ParseNetnsLink(file_);
  if (!inode) return;
  auto [it, added] = netns_index_.emplace(*inode, out->netns.size());
  if (added) out->netns.push_back({*inode, {}});
  std::vector<int>& pids = out->netns[it->second].pids;
  if (pids.size() < kMaxNetnsPids) pids.push_back(pid);
}

void ProcScanner::Remember(const ProcessTable& table) {
  known_.clear();
  const size_t n = table.processes.size();
  // Two passes over the owners: size each process's table, then fill it.
  std::vector<uint32_t> kept(n, 0);
  std::vector<int32_t> top(n, -1);
  for (const SocketOwner& o : table.owners) {
    if (!o.seen || o.dup) continue;
    ++kept[o.process];
    top[o.process] = std::max(top[o.process], o.fd);
  }
  std::vector<int32_t> slot(n, -1);  // process index -> index in known_
  for (size_t i = 0; i < n; ++i) {
    const auto slots = static_cast<size_t>(top[i]) + 1;
    if (kept[i] == 0 || slots > kept[i] * kMaxSlotsPerFd + kMinSlots) continue;
    slot[i] = static_cast<int32_t>(known_.size());
    known_.push_back({table.processes[i].pid, table.processes[i].token,
                      std::vector<uint32_t>(slots, 0)});
  }
  for (const SocketOwner& o : table.owners) {
    if (!o.seen || o.dup || slot[o.process] < 0) continue;
    known_[slot[o.process]].inode_by_fd[o.fd] = o.inode;
  }
}

void ProcScanner::ReadMetadata(ProcessInfo* info, AttributionStats* stats) {
  // Counts a failed read; true when the process is gone, so that the rest
  // of its files are not tried.
  auto gone = [stats](int err) {
    const AttributionError e = ClassifyErrno(err);
    stats->Count(e);
    return e == AttributionError::kVanished;
  };
  const int pid = info->pid;

  int err = fs_->ReadFile(pid, "comm", &file_);
  if (err == 0) {
    std::string_view comm = file_;
    if (!comm.empty() && comm.back() == '\n') comm.remove_suffix(1);
    info->comm.assign(comm);
  } else if (gone(err)) {
    return;
  }

  err = fs_->ReadLink(pid, "exe", &file_);
  if (err == 0) {
    info->exe.assign(ExeName(file_));
  } else if (gone(err)) {
    return;
  }

  err = fs_->ReadFile(pid, "cgroup", &file_);
  if (err == 0) {
    info->cgroup.assign(CgroupV2Path(file_));
  } else if (gone(err)) {
    return;
  }

  err = fs_->ReadFile(pid, "limits", &file_);
  if (err == 0) {
    info->max_fds = MaxOpenFiles(file_);
  } else {
    gone(err);
  }
}

std::string UnitFromCgroup(std::string_view cgroup_path) {
  std::string_view rest = cgroup_path;
  // Bounded: every pass removes at least one character.
  while (!rest.empty()) {
    const size_t slash = rest.rfind('/');
    const std::string_view component =
        slash == std::string_view::npos ? rest : rest.substr(slash + 1);
    if (IsUnit(component)) return std::string(component);
    if (slash == std::string_view::npos) break;
    rest = rest.substr(0, slash);
  }
  return "-";
}

std::string_view CgroupV2Path(std::string_view proc_cgroup) {
  constexpr std::string_view kV2 = "0::";
  std::string_view rest = proc_cgroup;
  // Bounded: every pass consumes one line.
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    const std::string_view line = rest.substr(0, eol);
    if (line.substr(0, kV2.size()) == kV2) {
      return StripDeleted(line.substr(kV2.size()));
    }
    if (eol == std::string_view::npos) break;
    rest = rest.substr(eol + 1);
  }
  return {};
}

uint64_t MaxOpenFiles(std::string_view proc_limits) {
  constexpr std::string_view kName = "Max open files";
  size_t at = 0;
  // Bounded: every pass moves `at` forward.
  for (;;) {
    at = proc_limits.find(kName, at);
    if (at == std::string_view::npos) return 0;
    if (at == 0 || proc_limits[at - 1] == '\n') break;
    at += kName.size();
  }
  std::string_view rest = proc_limits.substr(at + kName.size());
  rest = rest.substr(0, rest.find('\n'));
  const size_t start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos) return 0;
  rest = rest.substr(start);
  const std::string_view soft = rest.substr(0, rest.find(' '));
  if (soft == "unlimited") return UINT64_MAX;
  if (soft.empty() || soft.size() > 20) return 0;
  uint64_t value = 0;
  for (char c : soft) {
    if (c < '0' || c > '9') return 0;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return 0;
    value = value * 10 + digit;
  }
  return value;
}

std::string_view ExeName(std::string_view target) {
  target = StripDeleted(target);
  const size_t slash = target.rfind('/');
  return slash == std::string_view::npos ? target : target.substr(slash + 1);
}

}  // namespace sockwatch
