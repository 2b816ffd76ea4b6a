#include "daemon/sampler.h"

#include <spdlog/spdlog.h>

#include "collectors/dump_file.h"
#include "collectors/sock_diag_collector.h"
#include "daemon/aggregator.h"

namespace sockwatch {
namespace {

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

Sampler::Sampler(TransportFactory factory, Options options,
                 SnapshotStore* store, Metrics* metrics)
    : factory_(std::move(factory)),
      options_(std::move(options)),
      store_(store),
      metrics_(metrics) {}

Sampler::~Sampler() { Stop(); }

Status Sampler::SampleOnce() {
  const auto wall_start = std::chrono::system_clock::now();
  const auto start = std::chrono::steady_clock::now();
  CollectStats stats;
  Status status;
  if (transport_ == nullptr) transport_ = factory_(&status);

  std::unique_ptr<RecordingTransport> recorder;
  NetlinkTransport* transport = transport_.get();
  if (transport != nullptr && !options_.record_dump_path.empty()) {
    recorder =
        RecordingTransport::Open(transport, options_.record_dump_path, &status);
    if (recorder) {
      spdlog::info("recording this sample's netlink replies to {}",
                   options_.record_dump_path);
      transport = recorder.get();
    } else {
      spdlog::error("cannot record dump: {}", status.message());
    }
    options_.record_dump_path.clear();
  }

  Aggregator aggregator;
  if (transport != nullptr) {
    SockDiagCollector collector(transport, SockDiagCollector::Options{});
    status = collector.Collect(aggregator, &stats);
  } else {
    stats.Count(DumpProblem::kNetlinkError);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  metrics_->ObserveSample(seconds, stats);

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
  aggregator.Finish(options_.port_top_n, snapshot.get());
  snapshot->timestamp_seconds = UnixSeconds(wall_start);
  snapshot->duration_seconds = seconds;
  spdlog::debug("sampled {} sockets in {:.3f}s", snapshot->sockets_sampled,
                seconds);
  store_->Publish(std::move(snapshot));
  return Status::Ok();
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
    next += options_.interval;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // a sample overran: don't try to catch up
    std::unique_lock<std::mutex> lock(mu_);
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
  }
}

}  // namespace sockwatch
