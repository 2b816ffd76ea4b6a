#include "daemon/metrics.h"

#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <limits>

#include "daemon/version.h"

namespace sockwatch {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void AddGauge(MetricFamily& f, std::vector<ClientMetric::Label> labels,
              double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

const char* DirectionName(Direction d) {
  return d == Direction::kIn ? "in" : "out";
}

void AddProcessFamilies(const Snapshot& s, std::vector<MetricFamily>& out) {
  auto sockets = Family(
      "sockwatch_process_tcp_sockets",
      "TCP sockets by holding process name and systemd unit; top N, the rest "
      "in process=\"other\", sockets no process holds in "
      "process=\"unknown\".",
      MetricType::Gauge);
  auto oldest = Family("sockwatch_close_wait_oldest_seconds",
                       "Age of the oldest CLOSE_WAIT socket per process.",
                       MetricType::Gauge);
  auto recv = Family("sockwatch_process_close_wait_recv_queue_bytes",
                     "Bytes unread in the CLOSE_WAIT sockets of a process "
                     "(counting an unread FIN as 1, like ss).",
                     MetricType::Gauge);
  auto open_fds = Family(
      "sockwatch_process_open_fds",
      "Open fds of the process holding CLOSE_WAIT sockets (the one of that "
      "name and unit nearest its limit).",
      MetricType::Gauge);
  auto max_fds =
      Family("sockwatch_process_max_fds",
             "Soft RLIMIT_NOFILE of the same process.", MetricType::Gauge);
  for (const ProcessSeries& row : s.processes) {
    std::vector<ClientMetric::Label> who = {{"process", row.process},
                                            {"unit", row.unit}};
    if (s.netns_all) who.insert(who.begin(), {"netns", row.netns});
    for (TcpState state : kExportedStates) {
      auto labels = who;
      labels.push_back({"state", std::string(StateName(state))});
      AddGauge(sockets, labels, row.sockets[state]);
    }
    if (row.sockets[kCloseWait] == 0) continue;
    AddGauge(
        oldest, who,
        std::max(0.0, s.timestamp_seconds - row.oldest_close_wait_entered));
    AddGauge(recv, who, row.close_wait_recv_bytes);
    if (row.fd_pid == 0) continue;
    AddGauge(open_fds, who, row.open_fds);
    AddGauge(max_fds, who,
             row.max_fds == UINT64_MAX ? std::numeric_limits<double>::infinity()
                                       : static_cast<double>(row.max_fds));
  }
  auto ages = Family("sockwatch_close_wait_age_seconds",
                     "Ages of the CLOSE_WAIT sockets at the latest sample.",
                     MetricType::Histogram);
  ClientMetric hist;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kAgeBuckets.size(); ++i) {
    cumulative += s.close_wait_ages[i];
    hist.histogram.bucket.push_back({cumulative, kAgeBuckets[i]});
  }
  cumulative += s.close_wait_ages.back();
  hist.histogram.bucket.push_back(
      {cumulative, std::numeric_limits<double>::infinity()});
  hist.histogram.sample_count = cumulative;
  hist.histogram.sample_sum = s.close_wait_age_sum;
  ages.metric.push_back(std::move(hist));
  auto unreadable =
      Family("sockwatch_attribution_unreadable_processes",
             "Processes whose fd table could not be read at the latest sample "
             "(needs CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH).",
             MetricType::Gauge);
  AddGauge(unreadable, {}, s.unreadable_processes);
  for (auto* f :
       {&sockets, &oldest, &recv, &open_fds, &max_fds, &ages, &unreadable}) {
    out.push_back(std::move(*f));
  }
}

void AddNetnsFamilies(const Snapshot& s, MetricFamily& folded,
                      std::vector<MetricFamily>& out) {
  auto sockets = Family(
      "sockwatch_netns_tcp_sockets",
      "TCP sockets by network namespace (its /run/netns name, container or "
      "pod, or inode:<n>; the daemon's own is \"host\"); top N, the rest in "
      "netns=\"other\". sockwatch_tcp_sockets is their sum.",
      MetricType::Gauge);
  uint64_t other = 0;
  for (const NetnsSeries& row : s.netns) {
    for (TcpState state : kExportedStates) {
      AddGauge(sockets,
               {{"netns", row.netns}, {"state", std::string(StateName(state))}},
               row.sockets[state]);
    }
    if (row.netns == "other") other = 1;
  }
  const uint64_t shown = s.netns.size() - other;
  AddGauge(folded, {{"view", "netns"}},
           s.netns_labels.size() > shown ? s.netns_labels.size() - shown : 0);
  auto sampled = Family("sockwatch_netns_sampled",
                        "Network namespaces sampled in the latest sample.",
                        MetricType::Gauge);
  AddGauge(sampled, {}, s.netns_labels.size());
  auto unreadable = Family(
      "sockwatch_netns_unreadable",
      "Network namespaces found but not entered (needs CAP_SYS_ADMIN): their "
      "sockets are not counted.",
      MetricType::Gauge);
  AddGauge(unreadable, {}, s.netns_unreadable);
  for (auto* f : {&sockets, &sampled, &unreadable})
    out.push_back(std::move(*f));
}

}  // namespace

std::vector<MetricFamily> SnapshotFamilies(const Snapshot& s) {
  auto sockets = Family("sockwatch_tcp_sockets",
                        "TCP sockets on the host by state.", MetricType::Gauge);
  auto queues = Family("sockwatch_tcp_queue_bytes",
                       "Bytes waiting in TCP receive and send queues by state "
                       "(LISTEN excluded: its queues are backlogs, not bytes).",
                       MetricType::Gauge);
  auto ports = Family(
      "sockwatch_tcp_port_sockets",
      "TCP sockets by service port: direction=in keyed by a listening local "
      "port, direction=out by the remote port; top N ports, the rest in "
      "port=\"other\".",
      MetricType::Gauge);
  for (TcpState state : kExportedStates) {
    std::string name(StateName(state));
    AddGauge(sockets, {{"state", name}}, s.sockets[state]);
    if (state == kListen) continue;
    AddGauge(queues, {{"queue", "recv"}, {"state", name}},
             s.recv_queue_bytes[state]);
    AddGauge(queues, {{"queue", "send"}, {"state", name}},
             s.send_queue_bytes[state]);
  }
  for (const PortSeries& row : s.ports) {
    std::string port = row.port < 0 ? "other" : std::to_string(row.port);
    for (TcpState state : kExportedStates) {
      AddGauge(ports,
               {{"direction", DirectionName(row.direction)},
                {"port", port},
                {"state", std::string(StateName(state))}},
               row.sockets[state]);
    }
  }
  auto folded =
      Family("sockwatch_series_folded",
             "Keys folded into the \"other\" bucket of a capped view.",
             MetricType::Gauge);
  AddGauge(folded, {{"view", "port"}}, s.ports_folded);
  auto sampled =
      Family("sockwatch_sockets_sampled", "Sockets read in the latest sample.",
             MetricType::Gauge);
  AddGauge(sampled, {}, s.sockets_sampled);
  auto last = Family("sockwatch_last_sample_timestamp_seconds",
                     "Unix time the latest published sample started.",
                     MetricType::Gauge);
  AddGauge(last, {}, s.timestamp_seconds);
  std::vector<MetricFamily> out;
  for (auto* f : {&sockets, &queues, &ports, &sampled, &last}) {
    out.push_back(std::move(*f));
  }
  if (s.attribution) {
    AddGauge(folded, {{"view", "process"}}, s.processes_folded);
    AddProcessFamilies(s, out);
  }
  if (s.netns_all) AddNetnsFamilies(s, folded, out);
  out.push_back(std::move(folded));
  auto alerts = Family("sockwatch_alerts",
                       "Alerts pending or firing: 1 per alert, labelled with "
                       "its rule's labels and group.",
                       MetricType::Gauge);
  for (const Alert& a : s.alerts) {
    std::vector<ClientMetric::Label> labels;
    for (const auto& [k, v] : a.labels) labels.push_back({k, v});
    labels.push_back({"state", AlertStateName(a.state)});
    std::sort(labels.begin(), labels.end());
    AddGauge(alerts, labels, 1);
  }
  out.push_back(std::move(alerts));
  auto failures =
      Family("sockwatch_rule_evaluation_failures_total",
             "Rule evaluations that could not be done.", MetricType::Counter);
  ClientMetric failed;
  failed.counter.value = static_cast<double>(s.rule_evaluation_failures);
  failures.metric.push_back(failed);
  out.push_back(std::move(failures));
  return out;
}

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  sample_duration_ =
      &prometheus::BuildHistogram()
           .Name("sockwatch_sample_duration_seconds")
           .Help("Time taken by one sample of the socket tables.")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                        1, 2.5, 5, 10, 30});
  sample_errors_ = &prometheus::BuildCounter()
                        .Name("sockwatch_sample_errors_total")
                        .Help("Problems met while sampling, by reason.")
                        .Register(*registry_);
  for (size_t i = 0; i < static_cast<size_t>(DumpProblem::kCount); ++i) {
    sample_errors_->Add({{"reason", std::string(DumpProblemName(
                                        static_cast<DumpProblem>(i)))}});
  }
  http_requests_ =
      &prometheus::BuildCounter()
           .Name("sockwatch_http_requests_total")
           .Help("HTTP responses sent, by handler and status code.")
           .Register(*registry_);
  attribution_errors_ =
      &prometheus::BuildCounter()
           .Name("sockwatch_attribution_errors_total")
           .Help(
               "/proc entries that could not be read while attributing "
               "sockets to processes, by reason.")
           .Register(*registry_);
  for (size_t i = 0; i < static_cast<size_t>(AttributionError::kCount); ++i) {
    attribution_errors_->Add(
        {{"reason", std::string(AttributionErrorName(
                        static_cast<AttributionError>(i)))}});
  }
  netns_errors_ =
      &prometheus::BuildCounter()
           .Name("sockwatch_netns_errors_total")
           .Help(
               "Network namespaces that could not be entered or dumped, by "
               "reason (vanished: gone before we got in).")
           .Register(*registry_);
  for (size_t i = 0; i < static_cast<size_t>(NetnsError::kCount); ++i) {
    netns_errors_->Add(
        {{"reason", std::string(NetnsErrorName(static_cast<NetnsError>(i)))}});
  }
  fd_links_read_ =
      &prometheus::BuildCounter()
           .Name("sockwatch_attribution_fd_links_read_total")
           .Help(
               "/proc/<pid>/fd links read to attribute sockets; sockets "
               "found in the previous sample by the same fd are not read "
               "again.")
           .Register(*registry_)
           .Add({});
  notifications_ = &prometheus::BuildCounter()
                        .Name("sockwatch_notifications_total")
                        .Help("POSTs of alerts to Alertmanagers, by result.")
                        .Register(*registry_);
  notifications_->Add({{"result", "success"}});
  notifications_->Add({{"result", "failure"}});
  notifications_dropped_ =
      &prometheus::BuildCounter()
           .Name("sockwatch_notifications_dropped_total")
           .Help("Alerts dropped unsent because the send queue was full.")
           .Register(*registry_)
           .Add({});
  reload_ok_ = &prometheus::BuildGauge()
                    .Name("sockwatch_config_last_reload_successful")
                    .Help("Whether the last configuration load succeeded.")
                    .Register(*registry_)
                    .Add({});
  reload_time_ =
      &prometheus::BuildGauge()
           .Name("sockwatch_config_last_reload_success_timestamp_seconds")
           .Help("Unix time of the last successful configuration load.")
           .Register(*registry_)
           .Add({});
  prometheus::BuildGauge()
      .Name("sockwatch_build_info")
      .Help("Version and revision sockwatch was built from; always 1.")
      .Register(*registry_)
      .Add({{"version", kVersion}, {"revision", kRevision}})
      .Set(1);
}

void Metrics::ObserveSample(double seconds, const CollectStats& stats) {
  sample_duration_->Observe(seconds);
  for (size_t i = 0; i < stats.problems.size(); ++i) {
    if (stats.problems[i] == 0) continue;
    sample_errors_
        ->Add({{"reason",
                std::string(DumpProblemName(static_cast<DumpProblem>(i)))}})
        .Increment(static_cast<double>(stats.problems[i]));
  }
}

void Metrics::ObserveAttribution(const AttributionStats& stats) {
  fd_links_read_->Increment(static_cast<double>(stats.links_read));
  for (size_t i = 0; i < stats.errors.size(); ++i) {
    if (stats.errors[i] == 0) continue;
    attribution_errors_
        ->Add({{"reason", std::string(AttributionErrorName(
                              static_cast<AttributionError>(i)))}})
        .Increment(static_cast<double>(stats.errors[i]));
  }
}

void Metrics::ObserveNetnsErrors(const NetnsErrors& errors) {
  for (size_t i = 0; i < errors.counts.size(); ++i) {
    if (errors.counts[i] == 0) continue;
    netns_errors_
        ->Add({{"reason",
                std::string(NetnsErrorName(static_cast<NetnsError>(i)))}})
        .Increment(static_cast<double>(errors.counts[i]));
  }
}

void Metrics::CountNetnsError(NetnsError e) {
  NetnsErrors errors;
  errors.counts[static_cast<size_t>(e)] = 1;
  ObserveNetnsErrors(errors);
}

void Metrics::ObserveReload(bool ok, double unix_seconds) {
  reload_ok_->Set(ok ? 1 : 0);
  if (ok) reload_time_->Set(unix_seconds);
}

void Metrics::CountNotification(bool ok) {
  notifications_->Add({{"result", ok ? "success" : "failure"}}).Increment();
}

void Metrics::CountNotificationDrop() { notifications_dropped_->Increment(); }

void Metrics::CountHttp(const std::string& handler, int code) {
  http_requests_->Add({{"handler", handler}, {"code", std::to_string(code)}})
      .Increment();
}

std::string Metrics::Render(const Snapshot* snapshot) const {
  std::vector<MetricFamily> families = registry_->Collect();
  if (snapshot != nullptr) {
    for (auto& f : SnapshotFamilies(*snapshot))
      families.push_back(std::move(f));
  }
  std::sort(families.begin(), families.end(),
            [](const MetricFamily& a, const MetricFamily& b) {
              return a.name < b.name;
            });
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace sockwatch
