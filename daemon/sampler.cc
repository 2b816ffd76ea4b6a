#include "daemon/sampler.h"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "collectors/dump_file.h"
#include "collectors/sock_diag_collector.h"
#include "daemon/aggregator.h"
#include "daemon/process_aggregator.h"

namespace sockwatch {
namespace {

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Feeds every socket to the host/port aggregator and, when attribution is
// on, to the per-process one.
class SampleSink final : public ResettableSink {
 public:
  SampleSink(Aggregator* host, ProcessAggregator* processes)
      : host_(host), processes_(processes) {}
  void Reset() override {
    host_->Reset();
    if (processes_) processes_->Reset();
  }
  void OnSocket(const SocketRecord& r) override {
    host_->OnSocket(r);
    if (processes_) processes_->OnSocket(r);
  }

 private:
  Aggregator* host_;
  ProcessAggregator* processes_;
};

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
}

Sampler::~Sampler() { Stop(); }

Sampler::Options Sampler::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  return options_;
}

void Sampler::Retune(std::chrono::milliseconds interval, size_t port_top_n,
                     size_t process_top_n, bool attribution) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.interval = interval;
  options_.port_top_n = port_top_n;
  options_.process_top_n = process_top_n;
  options_.attribution = attribution;
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
  if (options.attribution) Attribute(&table);
  Aggregator aggregator;
  std::unique_ptr<ProcessAggregator> processes;
  if (options.attribution) {
    processes = std::make_unique<ProcessAggregator>(
        &table, &cgroups_, &tracker_, UnixSeconds(wall_start),
        last_counts_[kCloseWait], last_counts_[kFinWait2]);
  }
  SampleSink sink(&aggregator, processes.get());
  if (transport != nullptr) {
    SockDiagCollector::Options collect;
    collect.close_wait_tcp_info = options.attribution;
    collect.cancel = &stopping_;
    SockDiagCollector collector(transport, collect);
    status = collector.Collect(sink, &stats);
  } else {
    stats.Count(DumpProblem::kNetlinkError);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  metrics_->ObserveSample(seconds, stats);

  // Only a complete dump says which sockets are still there.
  if (status.ok() && options.attribution) {
    scanner_.Remember(table);
  } else {
    scanner_.Forget();
  }
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
  // The previous snapshot and this sample's scratch space are free now;
  // give the pages back so the resident size follows the socket table.
  malloc_trim(0);
  return Status::Ok();
}

void Sampler::Attribute(ProcessTable* table) {
  AttributionStats stats;
  Status status = scanner_.Scan(table, &stats);
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
