#include "daemon/sampler.h"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "collectors/dump_file.h"
#include "collectors/netns_discovery.h"
#include "collectors/netns_socket.h"
#include "collectors/sock_diag_collector.h"
#include "daemon/aggregator.h"
#include "daemon/process_aggregator.h"

namespace sockwatch {
namespace {

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Feeds every socket to the host/port aggregator and, when attribution is
// on, to the per-process one, one namespace after the other. The collector
// resets its sink before each attempt: in the first namespace that starts
// the aggregators afresh; in a later one, after sockets of it went in, the
// aggregators cannot take just those back, so the sink is marked spoiled
// and the sampler starts the whole pass again.
class SampleSink final : public ResettableSink {
 public:
  SampleSink(Aggregator* host, ProcessAggregator* processes)
      : host_(host), processes_(processes) {}
  void Reset() override {
    if (namespace_ == 0) {
      host_->Reset();
      if (processes_) processes_->Reset();
    } else if (delivered_ > 0) {
      spoiled_ = true;
    }
  }
  void OnSocket(const SocketRecord& r) override {
    ++delivered_;
    host_->OnSocket(r);
    if (processes_) processes_->OnSocket(r);
  }
  void BeginNamespace(uint16_t index, const std::string& label) {
    namespace_ = index;
    delivered_ = 0;
    host_->BeginNamespace(index);
    if (processes_) processes_->BeginNamespace(index, label);
  }
  bool spoiled() const { return spoiled_; }
  uint64_t delivered() const { return delivered_; }

 private:
  Aggregator* host_;
  ProcessAggregator* processes_;
  uint16_t namespace_ = 0;
  uint64_t delivered_ = 0;
  bool spoiled_ = false;
};

// A pass over every namespace is started again at most this often.
constexpr int kMaxPasses = 3;

constexpr char kHostLabel[] = "host";

// Namespace rows by label (labels should be unique; if two namespaces
// share one their counts add up), top `top_n` by socket count, then
// "other".
std::vector<NetnsSeries> NetnsRows(const std::vector<std::string>& labels,
                                   const std::vector<StateCounts>& counts,
                                   size_t top_n, uint64_t* folded) {
  std::map<std::string, NetnsSeries> by_label;
  for (size_t i = 0; i < labels.size() && i < counts.size(); ++i) {
    NetnsSeries& row = by_label[labels[i]];
    row.netns = labels[i];
    for (int s = 0; s < kStateSlots; ++s) {
      row.sockets[s] += counts[i][s];
      row.total += counts[i][s];
    }
  }
  std::vector<NetnsSeries> rows;
  for (auto& [label, row] : by_label) rows.push_back(std::move(row));
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.total > b.total;
  });
  *folded = rows.size() > top_n ? rows.size() - top_n : 0;
  if (*folded > 0) {
    NetnsSeries other;
    other.netns = "other";
    for (size_t i = top_n; i < rows.size(); ++i) {
      for (int s = 0; s < kStateSlots; ++s)
        other.sockets[s] += rows[i].sockets[s];
      other.total += rows[i].total;
    }
    rows.resize(top_n);
    rows.push_back(std::move(other));
  }
  return rows;
}

// The cgroup v2 hierarchy: `path` itself, or its "unified" child on hosts
// that mount v1 controllers beside v2.
std::string CgroupV2Root(const std::string& path) {
  std::string unified = path + "/unified";
  return access((unified + "/cgroup.procs").c_str(), R_OK) == 0 ? unified
                                                                : path;
}

}  // namespace

Sampler::Sampler(TransportFactory factory, Options options,
                 SnapshotStore* store, Metrics* metrics)
    : factory_(std::move(factory)),
      options_(std::move(options)),
      store_(store),
      metrics_(metrics),
      procfs_(options_.procfs),
      cgroups_(CgroupV2Root(options_.cgroupfs), std::chrono::seconds(60)) {
  scanner_.set_cancel(&stopping_);
  if (NetnsInode("/proc/self/ns/net", &own_netns_) != 0) own_netns_ = 0;
}

Sampler::~Sampler() { Stop(); }

Sampler::Options Sampler::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  return options_;
}

void Sampler::Retune(const Config& config) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.interval = config.interval;
  options_.port_top_n = config.port_top_n;
  options_.process_top_n = config.process_top_n;
  options_.attribution = config.attribution;
  options_.namespaces_all = config.namespaces_all;
  options_.netns_top_n = config.netns_top_n;
}

Status Sampler::SampleOnce() {
  const Options options = Current();
  const auto wall_start = std::chrono::system_clock::now();
  const auto start = std::chrono::steady_clock::now();
  CollectStats stats;
  Status status;
  if (transport_ == nullptr) transport_ = factory_(&status);

  std::unique_ptr<RecordingTransport> recorder;
  NetlinkTransport* transport = transport_.get();
  if (transport != nullptr && !options.record_dump_path.empty()) {
    recorder =
        RecordingTransport::Open(transport, options.record_dump_path, &status);
    if (recorder) {
      spdlog::info("recording this sample's netlink replies to {}",
                   options.record_dump_path);
      transport = recorder.get();
    } else {
      spdlog::error("cannot record dump: {}", status.message());
    }
    std::lock_guard<std::mutex> lock(mu_);
    options_.record_dump_path.clear();
  }

  ProcessTable table;
  Scan(options, &table);
  UpdateNamespaces(options, table);
  Aggregator aggregator;
  std::unique_ptr<ProcessAggregator> processes;
  if (options.attribution) {
    processes = std::make_unique<ProcessAggregator>(
        &table, &cgroups_, &tracker_, UnixSeconds(wall_start),
        last_counts_[kCloseWait], last_counts_[kFinWait2]);
  }
  std::vector<std::string> labels;
  if (transport != nullptr) {
    status = CollectAll(options, transport, recorder != nullptr, &aggregator,
                        processes.get(), &labels, &stats);
  } else {
    stats.Count(DumpProblem::kNetlinkError);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  metrics_->ObserveSample(seconds, stats);

  if (!status.ok()) scanner_.Forget();
  if (!status.ok() && stopping_) return status;  // shutting down
  if (!status.ok()) {
    transport_.reset();  // open a fresh one next time
    ++consecutive_failures_;
    spdlog::warn("sample failed ({} in a row), keeping the last good one: {}",
                 consecutive_failures_, status.message());
    return status;
  }
  if (consecutive_failures_ > 0) {
    spdlog::info("sampling recovered after {} failed samples",
                 consecutive_failures_);
    consecutive_failures_ = 0;
  }
  if (stats.attempts > 1) {
    spdlog::info("sample needed {} dump attempts", stats.attempts);
  }
  auto snapshot = std::make_shared<Snapshot>();
  aggregator.Finish(options.port_top_n, snapshot.get());
  if (options.namespaces_all) {
    uint64_t folded = 0;
    snapshot->netns_all = true;
    snapshot->netns = NetnsRows(labels, aggregator.per_namespace(),
                                options.netns_top_n, &folded);
    snapshot->netns_labels = std::move(labels);
    snapshot->netns_counts = aggregator.per_namespace();
    snapshot->netns_counts.resize(snapshot->netns_labels.size());
    snapshot->netns_unreadable = netns_.Unreadable();
  }
  if (processes) {
    processes->Finish(options.process_top_n, snapshot.get());
    snapshot->unreadable_processes = unreadable_processes_;
  }
  snapshot->timestamp_seconds = UnixSeconds(wall_start);
  snapshot->duration_seconds = seconds;
  spdlog::debug("sampled {} sockets in {:.3f}s", snapshot->sockets_sampled,
                seconds);
  last_counts_ = snapshot->sockets;
  if (options.on_sample) options.on_sample(*snapshot);
  store_->Publish(std::move(snapshot));
  processes.reset();
  // Only a complete dump says which sockets are still there. Done once the
  // previous snapshot is gone, so that its memory and the new table's are
  // not both needed at once.
  if (options.attribution) {
    scanner_.Remember(table);
  } else {
    scanner_.Forget();
  }
  table = ProcessTable{};
  // The previous snapshot and this sample's scratch space are free now;
  // give the pages back so the resident size follows the socket table.
  malloc_trim(0);
  return Status::Ok();
}

void Sampler::Scan(const Options& options, ProcessTable* table) {
  if (!options.attribution && !options.namespaces_all) return;
  scanner_.set_scan_fds(options.attribution);
  scanner_.set_discover_netns(options.namespaces_all);
  AttributionStats stats;
  Status status = scanner_.Scan(table, &stats);
  if (!options.attribution) return;  // only namespaces were looked for
  metrics_->ObserveAttribution(stats);
  if (!status.ok()) {
    spdlog::warn("process attribution failed: {}", status.message());
  }
  unreadable_processes_ = stats.unreadable_processes;
  if (stats.unreadable_processes > 0 && !warned_unreadable_) {
    warned_unreadable_ = true;
    spdlog::warn(
        "cannot read the fd tables of {} processes (needs CAP_SYS_PTRACE or "
        "CAP_DAC_READ_SEARCH); their sockets count as process \"unknown\"; "
        "see sockwatch_attribution_unreadable_processes",
        stats.unreadable_processes);
  }
}

void Sampler::UpdateNamespaces(const Options& options,
                               const ProcessTable& table) {
  if (!options.namespaces_all) {
    netns_.Clear();
    return;
  }
  DiscoveryInput in;
  in.seen = &table.netns;
  in.named = NamedNamespaces(options.run_netns);
  in.own_inode = own_netns_;
  in.run_netns_dir = options.run_netns;
  in.procfs = options.procfs;
  NetnsErrors errors;
  netns_.Update(DiscoverNamespaces(in, &procfs_, netns_), &errors);
  metrics_->ObserveNetnsErrors(errors);
  const size_t unreadable = netns_.Unreadable();
  if (unreadable > 0 && !warned_netns_) {
    warned_netns_ = true;
    spdlog::warn(
        "cannot enter {} network namespaces (needs CAP_SYS_ADMIN); their "
        "sockets are not sampled; see sockwatch_netns_unreadable",
        unreadable);
  }
}

Status Sampler::CollectAll(const Options& options, NetlinkTransport* own,
                           bool recording, Aggregator* aggregator,
                           ProcessAggregator* processes,
                           std::vector<std::string>* labels,
                           CollectStats* stats) {
  SockDiagCollector::Options collect;
  using CloseWaitInfo = SockDiagCollector::CloseWaitInfo;
  // tcp_info dates CLOSE_WAIT sockets for the per-process view; a dump
  // that is recorded or replayed asks the same three requests every time.
  collect.close_wait_info = !options.attribution ? CloseWaitInfo::kNone
                            : (recording || options.replaying)
                                ? CloseWaitInfo::kDump
                                : CloseWaitInfo::kLookup;
  collect.known_close_wait = [this](uint64_t cookie) {
    return tracker_.Knows(cookie);
  };
  collect.cancel = &stopping_;
  Status status;
  // Bounded: kMaxPasses passes over at most every registry entry.
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    SampleSink sink(aggregator, processes);
    labels->assign(1, kHostLabel);
    if (options.namespaces_all) sink.BeginNamespace(0, kHostLabel);
    status = SockDiagCollector(own, collect).Collect(sink, stats);
    if (!status.ok() || !options.namespaces_all) return status;
    bool again = false;
    for (NetnsRegistry::Entry& e : netns_.entries()) {
      if (!e.transport || labels->size() > UINT16_MAX) continue;
      sink.BeginNamespace(static_cast<uint16_t>(labels->size()), e.label);
      CollectStats ns_stats;
      Status ns = SockDiagCollector(e.transport.get(), collect)
                      .Collect(sink, &ns_stats);
      for (size_t i = 0; i < ns_stats.problems.size(); ++i) {
        stats->problems[i] += ns_stats.problems[i];
      }
      if (stopping_) return ns;
      if (!ns.ok()) {
        // Most likely the namespace went away mid-dump. It is left out of
        // this sample; if some of its sockets went in already, the pass
        // starts again without it.
        spdlog::debug("netns {}: dump failed: {}", e.label, ns.message());
        metrics_->CountNetnsError(NetnsError::kOther);
        netns_.Drop(e.inode);
        again = sink.delivered() > 0;
        if (again) break;
        continue;
      }
      labels->push_back(e.label);
      stats->sockets += ns_stats.sockets;
      again = sink.spoiled();
      if (again) break;
    }
    if (!again) return status;
    spdlog::info(
        "a network namespace's dump failed or was retried midway; "
        "sampling every namespace again");
  }
  return Status::Error("namespaces changed during every pass", EAGAIN);
}

void Sampler::Start() {
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Sampler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sampler::Loop() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    SampleOnce();
    const Options options = Current();
    if (options.after_attempt) options.after_attempt();
    next += options.interval;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // a sample overran: don't try to catch up
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      auto until = next;
      if (options.heartbeat.count() > 0) {
        until = std::min(next,
                         std::chrono::steady_clock::now() + options.heartbeat);
      }
      if (wake_.wait_until(lock, until, [this] { return stopping_.load(); })) {
        return;
      }
      if (until >= next) break;
      lock.unlock();
      if (options.after_attempt) options.after_attempt();
      lock.lock();
    }
  }
}

}  // namespace sockwatch
