// The /metrics exposition: the daemon's own metrics (a prometheus-cpp
// Registry updated by the sampler and HTTP server) plus the series rendered
// from the latest Snapshot at scrape time.
//
// Rendering reads one immutable snapshot, so a scrape costs the same for 10
// or 1M sockets and never triggers a sample. Thread-safe.
#ifndef SOCKWATCH_DAEMON_METRICS_H_
#define SOCKWATCH_DAEMON_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "collectors/netns_registry.h"
#include "collectors/proc_scanner.h"
#include "collectors/sock_diag_collector.h"
#include "daemon/snapshot.h"

namespace sockwatch {

// Builds the families of one snapshot (sockwatch_tcp_*, self gauges).
std::vector<prometheus::MetricFamily> SnapshotFamilies(const Snapshot& s);

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Records one sampling attempt: its duration, and what went wrong.
  void ObserveSample(double seconds, const CollectStats& stats);
  // Counts what one /proc scan could not read.
  void ObserveAttribution(const AttributionStats& stats);
  void ObserveNetnsErrors(const NetnsErrors& errors);
  void CountNetnsError(NetnsError e);
  // Counts one POST to an Alertmanager, and alerts dropped unsent.
  void CountNotification(bool ok);
  void CountNotificationDrop();
  // Records a config load: at start (ok) and at every reload.
  void ObserveReload(bool ok, double unix_seconds);
  // Counts an HTTP response sent by `handler` with `code`.
  void CountHttp(const std::string& handler, int code);

  // The text exposition of everything, `snapshot` may be null.
  std::string Render(const Snapshot* snapshot) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Histogram* sample_duration_;
  prometheus::Family<prometheus::Counter>* sample_errors_;
  prometheus::Family<prometheus::Counter>* http_requests_;
  prometheus::Family<prometheus::Counter>* attribution_errors_;
  prometheus::Counter* fd_links_read_;
  prometheus::Family<prometheus::Counter>* netns_errors_;
  prometheus::Family<prometheus::Counter>* notifications_;
  prometheus::Counter* notifications_dropped_;
  prometheus::Gauge* reload_ok_;
  prometheus::Gauge* reload_time_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_METRICS_H_
