#include "daemon/process_aggregator.h"

#include <algorithm>
#include <numeric>
#include <tuple>

namespace sockwatch {
namespace {

constexpr char kUnknown[] = "unknown";
constexpr char kOther[] = "other";
constexpr char kNoUnit[] = "-";

// Folds `from` into `into` (for the "other" row).
void Fold(const ProcessSeries& from, ProcessSeries& into) {
  for (int s = 0; s < kStateSlots; ++s) into.sockets[s] += from.sockets[s];
  into.total += from.total;
  into.close_wait_recv_bytes += from.close_wait_recv_bytes;
  if (from.oldest_close_wait_entered > 0 &&
      (into.oldest_close_wait_entered == 0 ||
       from.oldest_close_wait_entered < into.oldest_close_wait_entered)) {
    into.oldest_close_wait_entered = from.oldest_close_wait_entered;
  }
}

}  // namespace

uint64_t ProcessAggregator::EndpointsKey(uint16_t netns, uint8_t family,
                                         const std::array<uint8_t, 16>& local,
                                         uint16_t local_port,
                                         const std::array<uint8_t, 16>& remote,
                                         uint16_t remote_port) {
  // FNV-1a over the endpoints; at 64 bits a false pair among even millions
  // of sockets is vanishingly unlikely.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](uint8_t byte) {
    h ^= byte;
    h *= 1099511628211ULL;
  };
  mix(netns >> 8);
  mix(netns & 0xff);
  mix(family);
  for (uint8_t b : local) mix(b);
  mix(local_port >> 8);
  mix(local_port & 0xff);
  for (uint8_t b : remote) mix(b);
  mix(remote_port >> 8);
  mix(remote_port & 0xff);
  return h;
}

ProcessAggregator::ProcessAggregator(ProcessTable* table,
                                     CgroupResolver* cgroups,
                                     CloseWaitTracker* tracker, double now,
                                     size_t expected_close_wait,
                                     size_t expected_fin_wait2)
    : table_(table), cgroups_(cgroups), tracker_(tracker), now_(now) {
  close_wait_.reserve(expected_close_wait + expected_close_wait / 8 + 64);
  fin_wait2_.reserve(expected_fin_wait2 + expected_fin_wait2 / 8 + 64);
  Reset();
}

void ProcessAggregator::Reset() {
  keys_.clear();
  key_index_.clear();
  process_key_.assign(table_->processes.size(), -1);
  cgroup_key_.clear();
  close_wait_.clear();
  fin_wait2_.clear();
  tracker_->BeginSample(now_);
}

void ProcessAggregator::BeginNamespace(uint16_t index,
                                       const std::string& label) {
  netns_ = index;
  netns_label_ = label;
  // Process and cgroup keys name rows of the namespace they were made in.
  process_key_.assign(table_->processes.size(), -1);
  cgroup_key_.clear();
}

int ProcessAggregator::KeyOf(const std::string& process,
                             const std::string& unit) {
  std::string name = netns_label_;
  name.push_back('\0');
  name += process;
  name.push_back('\0');
  name += unit;
  auto [it, added] = key_index_.emplace(name, static_cast<int>(keys_.size()));
  if (added) {
    Key key;
    key.series.netns = netns_label_;
    key.series.process = process;
    key.series.unit = unit;
    keys_.push_back(std::move(key));
  }
  return it->second;
}

int ProcessAggregator::KeyOfProcess(uint32_t process) {
  int& key = process_key_[process];
  if (key < 0) {
    const ProcessInfo& info = table_->processes[process];
    key = KeyOf(info.comm.empty() ? kUnknown : info.comm,
                info.unit.empty() ? kNoUnit : info.unit);
  }
  return key;
}

int ProcessAggregator::KeyOfUnknown(uint64_t cgroup_id) {
  auto it = cgroup_key_.find(cgroup_id);
  if (it != cgroup_key_.end()) return it->second;
  std::string unit = kNoUnit;
  if (cgroup_id != 0 && cgroups_ != nullptr) {
    unit = UnitFromCgroup(cgroups_->Resolve(cgroup_id));
  }
  int key = KeyOf(kUnknown, unit);
  cgroup_key_.emplace(cgroup_id, key);
  return key;
}

void ProcessAggregator::OnSocket(const SocketRecord& r) {
  if (r.state < 1 || r.state > kMaxState) return;
  const SocketOwner* owner = table_->Claim(r.inode);
  int key = owner ? KeyOfProcess(owner->process) : KeyOfUnknown(r.cgroup_id);
  ProcessSeries& series = keys_[key].series;
  ++series.sockets[r.state];
  ++series.total;

  if (r.state == kFinWait2) {
    fin_wait2_.push_back(
        {EndpointsKey(netns_, r.family, r.local_addr, r.local_port,
                      r.remote_addr, r.remote_port),
         owner ? static_cast<int32_t>(owner->process) : -1});
    return;
  }
  if (r.state != kCloseWait) return;

  CloseWaitSocket cw;
  CopyEndpoints(r, &cw);
  cw.netns = netns_;
  cw.entered = tracker_->Observe(
      r.cookie, r.has_tcp_info ? static_cast<int64_t>(r.last_ack_recv_ms) : -1);
  if (owner != nullptr) {
    cw.owner = static_cast<int32_t>(owner->process);
    cw.fd = owner->fd;
    cw.shared = owner->shared;
  }
  close_wait_.push_back(cw);

  series.close_wait_recv_bytes += r.recv_queue;
  if (series.oldest_close_wait_entered == 0 ||
      cw.entered < series.oldest_close_wait_entered) {
    series.oldest_close_wait_entered = cw.entered;
  }
  if (owner != nullptr) {
    const ProcessInfo& info = table_->processes[owner->process];
    double ratio = info.max_fds == 0
                       ? 0
                       : static_cast<double>(info.open_fds) / info.max_fds;
    Key& k = keys_[key];
    if (ratio > k.worst_fd_ratio) {
      k.worst_fd_ratio = ratio;
      series.fd_pid = info.pid;
      series.open_fds = info.open_fds;
      series.max_fds = info.max_fds;
    }
  }
}

void ProcessAggregator::PairUp() {
  std::sort(fin_wait2_.begin(), fin_wait2_.end(),
            [](const Peer& a, const Peer& b) { return a.key < b.key; });
  for (CloseWaitSocket& cw : close_wait_) {
    // The other end of this connection sees our endpoints swapped.
    uint64_t mirror =
        EndpointsKey(cw.netns, cw.family, cw.remote_addr, cw.remote_port,
                     cw.local_addr, cw.local_port);
    auto it =
        std::lower_bound(fin_wait2_.begin(), fin_wait2_.end(), mirror,
                         [](const Peer& p, uint64_t k) { return p.key < k; });
    if (it != fin_wait2_.end() && it->key == mirror) {
      cw.paired = true;
      cw.peer_owner = it->owner;
    }
  }
  fin_wait2_.clear();
  fin_wait2_.shrink_to_fit();
}

void ProcessAggregator::Finish(size_t top_n, Snapshot* out) {
  PairUp();
  tracker_->EndSample();

  out->attribution = true;
  out->processes_info = table_->processes;
  for (const CloseWaitSocket& cw : close_wait_) {
    double age = std::max(0.0, now_ - cw.entered);
    size_t bucket =
        std::upper_bound(kAgeBuckets.begin(), kAgeBuckets.end(), age - 1e-9) -
        kAgeBuckets.begin();
    ++out->close_wait_ages[bucket];
    out->close_wait_age_sum += age;
  }
  out->close_wait = std::move(close_wait_);
  close_wait_.clear();

  // Largest first, ties by name; "unknown" rows are never folded.
  std::vector<ProcessSeries> known;
  std::vector<ProcessSeries> unknown;
  for (Key& key : keys_) {
    (key.series.process == kUnknown ? unknown : known)
        .push_back(std::move(key.series));
  }
  auto larger = [](const ProcessSeries& a, const ProcessSeries& b) {
    if (a.total != b.total) return a.total > b.total;
    return std::tie(a.process, a.unit, a.netns) <
           std::tie(b.process, b.unit, b.netns);
  };
  std::sort(known.begin(), known.end(), larger);
  std::sort(unknown.begin(), unknown.end(), larger);
  size_t keep = std::min(top_n, known.size());
  ProcessSeries other;
  other.process = kOther;
  other.unit = kNoUnit;
  if (!netns_label_.empty()) other.netns = kOther;
  for (size_t i = keep; i < known.size(); ++i) Fold(known[i], other);
  out->processes_folded = known.size() - keep;
  // Rules see every row; the exported view stops at top_n.
  out->all_processes = known;
  out->all_processes.insert(out->all_processes.end(), unknown.begin(),
                            unknown.end());
  known.resize(keep);
  for (auto& row : unknown) known.push_back(std::move(row));
  if (out->processes_folded > 0) known.push_back(std::move(other));
  out->processes = std::move(known);
}

}  // namespace sockwatch
