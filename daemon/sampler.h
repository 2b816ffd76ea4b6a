// Sampler: the loop that takes one sample every interval and publishes it.
//
// One sample = one SockDiagCollector pass streamed into an Aggregator, then
// an immutable Snapshot swapped into the SnapshotStore. A failed sample is
// counted and logged, and the last good snapshot stays published. Sampling
// runs on the Sampler's own thread; scrapes never sample.
//
// Thread-safety: Start/Stop/SetOptions from one controlling thread;
// SampleOnce only when the loop is not running.
#ifndef SOCKWATCH_DAEMON_SAMPLER_H_
#define SOCKWATCH_DAEMON_SAMPLER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "collectors/cgroup_resolver.h"
#include "collectors/netlink_transport.h"
#include "collectors/netns_registry.h"
#include "collectors/proc_scanner.h"
#include "collectors/procfs.h"
#include "config/config.h"
#include "daemon/aggregator.h"
#include "daemon/close_wait_tracker.h"
#include "daemon/metrics.h"
#include "daemon/process_aggregator.h"
#include "daemon/snapshot.h"
#include "daemon/status.h"

namespace sockwatch {

class Sampler {
 public:
  struct Options {
    std::chrono::milliseconds interval{std::chrono::seconds(15)};
    size_t port_top_n = 50;
    std::string record_dump_path;  // record the first sample's replies here
    bool replaying = false;        // the transport serves a recorded dump
    bool attribution = true;       // per-process view through /proc
    size_t process_top_n = 30;
    bool namespaces_all = false;  // every network namespace, not just ours
    size_t netns_top_n = 20;
    std::string run_netns = "/run/netns";  // names from `ip netns add`
    std::string procfs = "/proc";
    std::string cgroupfs = "/sys/fs/cgroup";
    // Called with each new snapshot before it is published (rule
    // evaluation); runs on the sampler thread.
    std::function<void(Snapshot&)> on_sample;
    // Called on the sampler thread after every attempt, good or failed
    // (watchdog, readiness).
    std::function<void()> after_attempt;
    // If non-zero, after_attempt is also called this often while waiting
    // for the next sample (a watchdog shorter than the interval).
    std::chrono::milliseconds heartbeat{0};
  };
  // Makes the transport; called again after a transport failure.
  using TransportFactory =
      std::function<std::unique_ptr<NetlinkTransport>(Status*)>;

  Sampler(TransportFactory factory, Options options, SnapshotStore* store,
          Metrics* metrics);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Takes one sample now and publishes it; the error if it failed.
  Status SampleOnce();

  // Changes what a reload may change (interval, caps, attribution,
  // namespaces); takes effect from the next sample. Thread-safe.
  void Retune(const Config& config);

  // Runs SampleOnce() every interval on a thread until Stop().
  void Start();
  void Stop();

 private:
  void Loop();
  // A copy of options_ taken under the lock (Retune may change it).
  Options Current();
  // Scans /proc into `table` (fds with attribution, namespaces with
  // `namespaces: all`); logs the first time processes are unreadable.
  void Scan(const Options& options, ProcessTable* table);
  // Brings the namespace registry in line with the scan's namespaces.
  void UpdateNamespaces(const Options& options, const ProcessTable& table);
  // Dumps every namespace (ours first) into the aggregators; `recording`
  // when `own` records its replies.
  Status CollectAll(const Options& options, NetlinkTransport* own,
                    bool recording, Aggregator* aggregator,
                    ProcessAggregator* processes,
                    std::vector<std::string>* labels, CollectStats* stats);

  TransportFactory factory_;
  Options options_;
  SnapshotStore* store_;
  Metrics* metrics_;
  std::unique_ptr<NetlinkTransport> transport_;
  int consecutive_failures_ = 0;
  RealProcFs procfs_;
  ProcScanner scanner_{&procfs_};
  CgroupResolver cgroups_;
  CloseWaitTracker tracker_;
  bool warned_unreadable_ = false;
  StateCounts last_counts_{};  // sizes the next sample's vectors
  uint64_t unreadable_processes_ = 0;
  RealNetnsOpener netns_opener_;
  NetnsRegistry netns_{&netns_opener_};
  uint64_t own_netns_ = 0;  // inode of our own network namespace
  bool warned_netns_ = false;

  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_SAMPLER_H_
