#include "daemon/metrics.h"

#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>

#include <algorithm>

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
  return {std::move(sockets), std::move(queues),  std::move(ports),
          std::move(folded),  std::move(sampled), std::move(last)};
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
