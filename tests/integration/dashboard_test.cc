// The Grafana dashboard in packaging/grafana/sockwatch.json, checked against
// a real Prometheus scraping the real daemon: every PromQL expression of the
// dashboard must parse, and the core panels must show data for a host with
// CLOSE_WAIT sockets.
//
// DashboardJson.* needs no root: the file is well-formed JSON (python3 -m
// json.tool, skipped without python3), has the structure Grafana imports
// (variables, data source, unique panel ids, no overlapping panels) and
// queries every metric the core panels are about.
//
// DashboardTest.* (root): in a private network namespace the test process
// holds CLOSE_WAIT and established sockets, sockwatch samples every second
// and Prometheus scrapes it every second; a rule of its own (more than 2
// CLOSE_WAIT sockets per process, for 0s) fires for the test process. Each
// `expr` is run through /api/v1/query twice: with every variable at "all"
// (`.*`) and with the instance and the test's own process selected. Every one
// must run; those of the core panels and of the alert panels must return
// data.

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dashboard_queries.h"
#include "gtest/gtest.h"
#include "loopback.h"
#include "mix_fixture.h"

#ifndef SOCKWATCH_DASHBOARD_JSON
#error "SOCKWATCH_DASHBOARD_JSON must name packaging/grafana/sockwatch.json"
#endif

namespace sockwatch::it {
namespace {

constexpr char kDashboardPath[] = SOCKWATCH_DASHBOARD_JSON;
constexpr uint16_t kDaemonPort = 9983;
constexpr uint16_t kServicePort = 7101;
constexpr size_t kCloseWaitBytes[] = {0, 100, 2000};
constexpr int kEstablishedPairs = 2;

// Panels an operator looks at first; with CLOSE_WAIT sockets on the host,
// every expression reading one of these metrics must return data.
const std::set<std::string>& CoreMetrics() {
  static const std::set<std::string> metrics = {
      "sockwatch_tcp_sockets",                // host states
      "sockwatch_process_tcp_sockets",        // CLOSE_WAIT by process
      "sockwatch_close_wait_oldest_seconds",  // oldest age
      "sockwatch_process_open_fds",           // fds vs limit
      "sockwatch_tcp_port_sockets",           // service-port view
      "sockwatch_sample_duration_seconds",    // daemon health
  };
  return metrics;
}

// The test's own rule (kRule) fires at once for the test process, so the
// alert panels must show data too.
constexpr char kAlertsMetric[] = "sockwatch_alerts";
constexpr char kRule[] =
    "rules:\n"
    "  - name: DashboardTestCloseWait\n"
    "    by: [process, unit]\n"
    "    count_above: 2\n"
    "    for: 0s\n"
    "    severity: warning\n";

// Metrics the dashboard must query somewhere (the panels the brief lists).
const std::set<std::string>& RequiredMetrics() {
  static const std::set<std::string> metrics = [] {
    std::set<std::string> all = CoreMetrics();
    all.insert({"sockwatch_close_wait_age_seconds", "sockwatch_process_max_fds",
                "sockwatch_process_close_wait_recv_queue_bytes",
                "sockwatch_alerts", "sockwatch_sample_errors_total",
                "sockwatch_attribution_unreadable_processes",
                "sockwatch_notifications_total"});
    return all;
  }();
  return metrics;
}

// Grafana's built-in interval variables, at values a dashboard over a
// 1 s scrape interval would get.
std::map<std::string, std::string> Builtins() {
  return {{"__rate_interval", "30s"}, {"__interval", "15s"},
          {"__interval_ms", "15000"}, {"__range", "5m"},
          {"__range_s", "300"},       {"__range_ms", "300000"}};
}

bool OnPath(const std::string& tool) {
  const char* path = getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && access((dir + "/" + tool).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

bool IsCore(const std::string& expr) {
  for (const std::string& metric : MetricsIn(expr, true)) {
    if (CoreMetrics().count(metric) != 0) return true;
  }
  return false;
}

bool ReadsAlerts(const std::string& expr) {
  return MetricsIn(expr, true).count(kAlertsMetric) != 0;
}

// label_values(SELECTOR, label) -> {SELECTOR, label}; {"", ""} otherwise.
std::pair<std::string, std::string> SplitLabelValues(const std::string& def) {
  const std::string prefix = "label_values(";
  if (def.rfind(prefix, 0) != 0 || def.back() != ')') return {"", ""};
  const size_t comma = def.rfind(',');
  if (comma == std::string::npos || comma < prefix.size()) return {"", ""};
  std::string label = def.substr(comma + 1, def.size() - comma - 2);
  label.erase(std::remove(label.begin(), label.end(), ' '), label.end());
  return {def.substr(prefix.size(), comma - prefix.size()), label};
}

std::string Comm() {
  std::string comm = ReadFile("/proc/self/comm");
  while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' ')) {
    comm.pop_back();
  }
  return comm;
}

// The first sample value of an instant-vector answer; "" when none.
std::string FirstValue(const std::string& body) {
  static const std::regex value(R"re("value":\[[0-9.e+]+,"([^"]*)"\])re");
  std::smatch match;
  return std::regex_search(body, match, value) ? match[1].str() : "";
}

size_t SeriesCount(const std::string& body) {
  size_t count = 0;
  for (size_t pos = body.find("\"metric\":"); pos != std::string::npos;
       pos = body.find("\"metric\":", pos + 1)) {
    ++count;
  }
  return count;
}

// Checks Grafana would import: variables, data source, panel ids and layout.
constexpr char kStructureCheck[] = R"py(
import json, sys
d = json.load(open(sys.argv[1]))
errors = []
def check(ok, what):
    if not ok:
        errors.append(what)
check(36 <= d.get("schemaVersion", 0) <= 41, "schemaVersion %r" % d.get("schemaVersion"))
check(d.get("uid") and d.get("title"), "uid and title")
variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
ds = variables.get("datasource", {})
check(ds.get("type") == "datasource" and ds.get("query") == "prometheus",
      "a datasource variable of type prometheus")
for name in ("instance", "process"):
    v = variables.get(name, {})
    check(v.get("type") == "query" and v.get("datasource", {}).get("uid") == "${datasource}",
          "query variable " + name)
check(variables.get("process", {}).get("multi") and variables.get("process", {}).get("includeAll"),
      "process is multi-value with All")
panels = []
for p in d.get("panels", []):
    panels.append(p)
    panels.extend(p.get("panels", []))
ids, cells = set(), {}
for p in panels:
    name = "%r (id %r)" % (p.get("title"), p.get("id"))
    check(isinstance(p.get("id"), int) and p["id"] not in ids, "unique id " + name)
    ids.add(p.get("id"))
    g = p.get("gridPos", {})
    if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24:
        errors.append("gridPos " + name)
        continue
    for y in range(g["y"], g["y"] + g["h"]):
        for x in range(g["x"], g["x"] + g["w"]):
            if (x, y) in cells:
                errors.append("%s overlaps %s" % (name, cells[(x, y)]))
                break
            cells[(x, y)] = name
        else:
            continue
        break
    if p.get("type") == "row":
        continue
    check(p.get("title") and len(p.get("description", "")) > 40, "title and description " + name)
    check(p.get("datasource", {}).get("uid") == "${datasource}", "panel datasource " + name)
    targets = p.get("targets", [])
    check(targets, "targets " + name)
    refs = [t.get("refId") for t in targets]
    check(len(refs) == len(set(refs)), "unique refIds " + name)
    for t in targets:
        check(t.get("expr"), "expr in every target " + name)
        check(t.get("datasource", {}).get("uid") == "${datasource}", "target datasource " + name)
print("%d panels, %d variables" % (len(panels), len(variables)))
if errors:
    print("\n".join(errors))
    sys.exit(1)
)py";

TEST(DashboardJson, WellFormedImportableAndComplete) {
  const std::string json = ReadFile(kDashboardPath);
  ASSERT_FALSE(json.empty()) << "cannot read " << kDashboardPath;

  const std::vector<std::string> exprs = JsonStringMembers(json, "expr");
  ASSERT_GE(exprs.size(), 10u);
  std::set<std::string> queried;
  std::map<std::string, std::string> values = Builtins();
  values["instance"] = ".*";
  values["process"] = ".*";
  for (const std::string& expr : exprs) {
    const auto metrics = MetricsIn(expr, true);
    queried.insert(metrics.begin(), metrics.end());
    std::set<std::string> unknown;
    SubstituteVariables(expr, values, &unknown);
    EXPECT_TRUE(unknown.empty())
        << "unknown variable " << *unknown.begin() << " in " << expr;
  }
  for (const std::string& metric : RequiredMetrics()) {
    EXPECT_EQ(queried.count(metric), 1u) << "no panel queries " << metric;
  }
  const auto definitions = JsonStringMembers(json, "definition");
  const std::set<std::string> defined(definitions.begin(), definitions.end());
  EXPECT_EQ(defined.count("label_values(sockwatch_build_info, instance)"), 1u);
  EXPECT_EQ(defined.count("label_values(sockwatch_process_tcp_sockets"
                          "{instance=~\"$instance\"}, process)"),
            1u);

  if (!OnPath("python3")) {
    std::cout << "[   INFO   ] no python3 on PATH: JSON syntax and structure "
                 "not checked\n";
    return;
  }
  const CommandResult tool = RunCommand(
      {"python3", "-m", "json.tool", kDashboardPath}, milliseconds(30000));
  EXPECT_TRUE(tool.status.Ok())
      << "python3 -m json.tool: " << tool.status.ToString() << " "
      << tool.spawn_error << tool.err;
  TempDir dir;
  const std::string script = dir.Write("check_dashboard.py", kStructureCheck);
  ASSERT_FALSE(script.empty());
  const CommandResult check =
      RunCommand({"python3", script, kDashboardPath}, milliseconds(30000));
  EXPECT_TRUE(check.status.Ok()) << check.status.ToString() << " "
                                 << check.spawn_error << check.out << check.err;
  if (check.status.Ok()) std::cout << "[   INFO   ] " << check.out;
}

class DashboardTest : public NetnsTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(NetnsTest::SetUp());
    if (IsSkipped()) return;
    if (!OnPath("prometheus")) {
      GTEST_SKIP() << "needs the prometheus server on PATH (Debian package "
                      "prometheus)";
    }
    ASSERT_EQ(mix_->Listen(Family::kV4, kServicePort), "");
    ASSERT_EQ(mix_->Established(kServicePort, Family::kV4, kEstablishedPairs),
              "");
    for (size_t bytes : kCloseWaitBytes) {
      ASSERT_EQ(mix_->CloseWait(kServicePort, Family::kV4, bytes, false), "");
    }
    ASSERT_EQ(mix_->Settle(milliseconds(10000)), "");
  }

  // GET /api/v1/query; the body, or "" with a test failure.
  std::string Query(const std::string& promql) {
    std::string error;
    auto response = HttpGet("127.0.0.1", prometheus_port_,
                            "/api/v1/query?query=" + UrlEncode(promql),
                            milliseconds(10000), &error);
    if (!response) {
      ADD_FAILURE() << promql << ": " << error;
      return "";
    }
    return response->body;
  }

  uint16_t prometheus_port_ = 0;
};

TEST_F(DashboardTest, EveryQueryParsesAndCorePanelsHaveData) {
  const std::string json = ReadFile(kDashboardPath);
  ASSERT_FALSE(json.empty()) << "cannot read " << kDashboardPath;
  const std::vector<std::string> exprs = JsonStringMembers(json, "expr");
  ASSERT_GE(exprs.size(), 10u);

  DaemonOptions options;
  options.config_yaml = FastConfig(kRule);
  options.port = kDaemonPort;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));

  TempDir dir;
  std::shared_ptr<Child> prometheus;
  ASSERT_NO_FATAL_FAILURE(
      StartPrometheus(dir, kDaemonPort, &prometheus_port_, &prometheus));
  std::string error;

  // A few scrapes in, with the test's CLOSE_WAIT sockets attributed to it:
  // enough samples for rate() over $__rate_interval.
  const std::string comm = Comm();
  ASSERT_FALSE(comm.empty());
  const std::string instance = "127.0.0.1:" + std::to_string(kDaemonPort);
  const std::string ready_query =
      "count_over_time(up{job=\"sockwatch\"}[1m]) >= 5 and on (instance) "
      "(up == 1) and on (instance) sockwatch_process_tcp_sockets{state="
      "\"close_wait\",process=\"" +
      comm + "\"} > 0 and on (instance) sockwatch_alerts{state=\"firing\"}";
  std::string last = "no answer yet";
  const bool ready = WaitFor(milliseconds(60000), milliseconds(500), [&] {
    if (!prometheus->Running()) {
      last = "prometheus exited: " + prometheus->Stderr();
      return true;
    }
    auto response = HttpGet("127.0.0.1", prometheus_port_,
                            "/api/v1/query?query=" + UrlEncode(ready_query),
                            milliseconds(5000), &error);
    if (!response) {
      last = error;
      return false;
    }
    last = std::to_string(response->status) + " " + response->body;
    return response->status == 200 && !ParseQueryAnswer(response->body).empty;
  });
  ASSERT_TRUE(ready && prometheus->Running())
      << "no 5 scrapes with CLOSE_WAIT sockets of " << comm
      << " and a firing alert within 60 s; last answer to " << ready_query
      << ": " << last;

  // The variables' own queries: label_values(selector, label) must list
  // this instance and this process.
  std::map<std::string, std::string> selected = Builtins();
  selected["instance"] = instance;
  selected["process"] = comm;
  const std::map<std::string, std::string> expect_value = {
      {"instance", instance}, {"process", comm}};
  for (const std::string& def : JsonStringMembers(json, "definition")) {
    const auto [selector, label] = SplitLabelValues(def);
    if (selector.empty()) continue;
    const std::string body = Query(SubstituteVariables(selector, selected));
    const QueryAnswer answer = ParseQueryAnswer(body);
    EXPECT_TRUE(answer.success && !answer.empty) << def << ": " << body;
    const auto values = LabelValues(body, label);
    const auto want = expect_value.find(label);
    if (want != expect_value.end()) {
      EXPECT_EQ(values.count(want->second), 1u)
          << def << " does not list " << want->second << ": " << body;
    }
  }

  std::map<std::string, std::string> all = Builtins();
  all["instance"] = ".*";
  all["process"] = ".*";
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>>
      passes = {{"all", all}, {"selected", selected}};
  int core_queries = 0;
  for (const auto& [pass, values] : passes) {
    for (const std::string& expr : exprs) {
      std::set<std::string> unknown;
      const std::string promql = SubstituteVariables(expr, values, &unknown);
      EXPECT_TRUE(unknown.empty())
          << "unknown variable " << *unknown.begin() << " in " << expr;
      const std::string body = Query(promql);
      if (body.empty()) continue;
      const QueryAnswer answer = ParseQueryAnswer(body);
      EXPECT_TRUE(answer.success)
          << "[" << pass << "] does not run: " << answer.error
          << "\n  query: " << promql;
      if (!answer.success) continue;
      const bool core = IsCore(expr);
      core_queries += core ? 1 : 0;
      if (core) {
        EXPECT_FALSE(answer.empty)
            << "[" << pass << "] core panel query returned no data: " << promql;
      }
      if (ReadsAlerts(expr)) {
        EXPECT_FALSE(answer.empty)
            << "[" << pass << "] alert panel query returned no data while "
            << "DashboardTestCloseWait fires: " << promql;
      }
      if (pass == "all") {
        std::cout << "[   INFO   ] " << (core ? "core " : "     ")
                  << (answer.result_type == "scalar"
                          ? std::string("scalar")
                          : std::to_string(SeriesCount(body)) + " series")
                  << (answer.result_type == "vector" && SeriesCount(body) == 1
                          ? " = " + FirstValue(body)
                          : std::string())
                  << "  " << promql.substr(0, 110)
                  << (promql.size() > 110 ? "..." : "") << "\n";
      }
    }
  }
  EXPECT_GE(core_queries, 2 * static_cast<int>(CoreMetrics().size()));

  // Stop it before its data directory goes away.
  const ExitStatus status = prometheus->Stop();
  EXPECT_FALSE(status.forced) << status.ToString();
}

}  // namespace
}  // namespace sockwatch::it
