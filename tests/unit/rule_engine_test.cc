// RuleEngine: every condition and state transition, on synthetic snapshots
// at explicit evaluation times (`now` is the fake clock).
#include "daemon/rule_engine.h"

#include <gtest/gtest.h>

namespace sockwatch::rule_engine_test {
namespace {

using namespace std::chrono_literals;

ProcessSeries Proc(const std::string& process, const std::string& unit,
                   uint64_t close_wait) {
  ProcessSeries p;
  p.process = process;
  p.unit = unit;
  p.sockets[kCloseWait] = close_wait;
  p.total = close_wait;
  return p;
}

Snapshot Snap(double t, std::vector<ProcessSeries> rows = {}) {
  Snapshot s;
  s.timestamp_seconds = t;
  s.attribution = true;
  for (const ProcessSeries& p : rows)
    s.sockets[kCloseWait] += p.sockets[kCloseWait];
  s.processes = rows;
  s.all_processes = std::move(rows);
  return s;
}

Rule ByProcess(const std::string& name) {
  Rule r;
  r.name = name;
  r.by = {"process"};
  return r;
}

Rule WithAnnotation(Rule r, const std::string& text) {
  std::string error;
  auto t = AlertTemplate::Parse(text, &error);
  EXPECT_TRUE(t) << error;
  if (t) r.annotations.emplace("a", *t);
  return r;
}

// "k=v,k=v" of an alert's labels, in order.
std::string Labels(const Alert& a) {
  std::string out;
  for (const auto& [k, v] : a.labels)
    out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

// One rule, evaluated on one snapshot per call.
struct Engine {
  explicit Engine(Rule rule) : engine({std::move(rule)}) {}
  std::vector<Alert> At(double now, std::vector<ProcessSeries> rows) {
    return engine.Evaluate(Snap(now, std::move(rows)), now);
  }
  RuleEngine engine;
};

TEST(RuleEngineCount, FiresAtOnceWithoutForAndOnlyAboveTheThreshold) {
  Rule r = ByProcess("Count");
  r.count_above = 3;
  Engine e(r);
  EXPECT_TRUE(e.At(100, {Proc("app", "a.service", 3)}).empty());
  auto alerts = e.At(101, {Proc("app", "a.service", 4)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);
  EXPECT_EQ(alerts[0].active_at, 101);
  EXPECT_EQ(alerts[0].fired_at, 101);
  EXPECT_EQ(alerts[0].value, 4);
  EXPECT_EQ(Labels(alerts[0]), "alertname=Count,process=app,severity=warning");
}

TEST(RuleEngineStates, PendingThenFiringAfterFor) {
  Rule r = ByProcess("For");
  r.count_above = 0;
  r.for_duration = 10s;
  Engine e(r);
  auto alerts = e.At(100, {Proc("app", "-", 1)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kPending);
  EXPECT_EQ(alerts[0].fired_at, 0);
  alerts = e.At(109.9, {Proc("app", "-", 2)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kPending);
  EXPECT_EQ(alerts[0].active_at, 100);
  EXPECT_EQ(alerts[0].value, 2);
  alerts = e.At(110, {Proc("app", "-", 2)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);
  EXPECT_EQ(alerts[0].active_at, 100);
  EXPECT_EQ(alerts[0].fired_at, 110);
}

TEST(RuleEngineStates, PendingThatStopsIsDroppedWithoutResolution) {
  Rule r = ByProcess("For");
  r.count_above = 0;
  r.for_duration = 10s;
  r.keep_firing_for = 1h;  // holds firing alerts only
  Engine e(r);
  ASSERT_EQ(e.At(100, {Proc("app", "-", 1)}).size(), 1u);
  EXPECT_TRUE(e.At(105, {Proc("app", "-", 0)}).empty());
  // Holding again starts a new pending period.
  auto alerts = e.At(106, {Proc("app", "-", 1)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].active_at, 106);
  EXPECT_EQ(e.At(115, {Proc("app", "-", 1)})[0].state, AlertState::kPending);
  EXPECT_EQ(e.At(116, {Proc("app", "-", 1)})[0].state, AlertState::kFiring);
}

TEST(RuleEngineStates, FiringResolvesOnceThenRestartsFromPending) {
  Rule r = ByProcess("Res");
  r.count_above = 0;
  r.for_duration = 2s;
  Engine e(r);
  e.At(100, {Proc("app", "-", 1)});
  ASSERT_EQ(e.At(102, {Proc("app", "-", 1)})[0].state, AlertState::kFiring);
  auto alerts = e.At(103, {});  // the group is gone from the sample
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kResolved);
  EXPECT_EQ(alerts[0].resolved_at, 103);
  EXPECT_EQ(alerts[0].fired_at, 102);
  EXPECT_EQ(alerts[0].last_true, 102);
  EXPECT_TRUE(e.At(104, {}).empty()) << "a resolution is reported once";
  alerts = e.At(105, {Proc("app", "-", 1)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kPending);
  EXPECT_EQ(alerts[0].active_at, 105);
}

TEST(RuleEngineStates, KeepFiringForHoldsAFiringAlertThroughFlaps) {
  Rule r = ByProcess("Keep");
  r.count_above = 0;
  r.keep_firing_for = 10s;
  Engine e(r);
  ASSERT_EQ(e.At(100, {Proc("app", "-", 1)})[0].state, AlertState::kFiring);
  for (double t : {101.0, 105.0, 108.0}) {
    auto alerts = e.At(t, {});
    ASSERT_EQ(alerts.size(), 1u) << "t=" << t;
    EXPECT_EQ(alerts[0].state, AlertState::kFiring) << "t=" << t;
  }
  // Holding again resets the hold; the alert never left firing.
  auto alerts = e.At(109, {Proc("app", "-", 1)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].fired_at, 100);
  EXPECT_EQ(e.At(125, {})[0].state, AlertState::kFiring) << "cleared at 125";
  EXPECT_EQ(e.At(134.9, {})[0].state, AlertState::kFiring);
  EXPECT_EQ(e.At(135, {})[0].state, AlertState::kResolved);
  EXPECT_TRUE(e.At(136, {}).empty());
}

// BUG at 33c7c66 (rule_engine.cc): the hold counted from the last true
// evaluation, so keep_firing_for = interval never held through a bad sample.
TEST(RuleEngineStates, KeepFiringForCountsFromWhenTheConditionCleared) {
  Rule r = ByProcess("Keep");
  r.count_above = 0;
  r.keep_firing_for = 15s;  // one sample interval
  Engine e(r);
  ASSERT_EQ(e.At(100, {Proc("app", "-", 1)})[0].state, AlertState::kFiring);
  auto alerts = e.At(115, {});  // cleared here: held until 130
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kFiring)
      << "keep_firing_for: 15s must survive one failed 15s sample";
  alerts = e.At(130, {});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kResolved);
}

TEST(RuleEngineGrowth, AgainstTheOldestSampleInsideTheWindow) {
  Rule r = WithAnnotation(ByProcess("Growth"), "{{ $growth }}");
  r.growth_above = 1;
  r.window = 5s;
  Engine e(r);
  EXPECT_TRUE(e.At(0, {Proc("app", "-", 1)}).empty()) << "growth 0 at first";
  EXPECT_TRUE(e.At(1, {Proc("app", "-", 2)}).empty()) << "growth 1, not > 1";
  auto alerts = e.At(2, {Proc("app", "-", 3)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].annotations.at("a"), "2");
  // Flat from here: t=5 still sees t=0 (exactly 5 s old); by t=20 only
  // flat samples are left.
  EXPECT_EQ(e.At(5, {Proc("app", "-", 3)})[0].annotations.at("a"), "2");
  alerts = e.At(20, {Proc("app", "-", 3)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::kResolved);
}

TEST(RuleEngineGrowth, AGroupAbsentAtTheStartOfTheWindowCountsFromZero) {
  Rule r = ByProcess("Growth");
  r.growth_above = 2;
  r.window = 10s;
  Engine e(r);
  EXPECT_TRUE(e.At(0, {Proc("other", "-", 1)}).empty());
  auto alerts = e.At(1, {Proc("other", "-", 1), Proc("new", "-", 3)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(Labels(alerts[0]), "alertname=Growth,process=new,severity=warning");
}

TEST(RuleEngineGrowth, SamplesOlderThanTheWindowAreForgotten) {
  Rule r = ByProcess("Growth");
  r.growth_above = 0;
  r.window = 5s;
  Engine e(r);
  EXPECT_TRUE(e.At(0, {Proc("app", "-", 1)}).empty());
  // 100 s later: nothing inside the window but this sample.
  EXPECT_TRUE(e.At(100, {Proc("app", "-", 50)}).empty());
  EXPECT_EQ(e.At(101, {Proc("app", "-", 51)}).size(), 1u);
  EXPECT_EQ(e.At(102, {Proc("app", "-", 40)})[0].state, AlertState::kResolved)
      << "shrinking";
}

TEST(RuleEngineOldest, StrictlyAboveAndFromTheSnapshotTime) {
  Rule r = WithAnnotation(ByProcess("Old"), "{{ humanizeDuration $oldest }}");
  r.oldest_above = 10min;
  Engine e(r);
  ProcessSeries p = Proc("app", "-", 2);
  p.oldest_close_wait_entered = 1000 - 600;
  EXPECT_TRUE(e.At(1000, {p}).empty()) << "600 s is not above 10m";
  p.oldest_close_wait_entered = 1000 - 601;
  auto alerts = e.At(1000, {p});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].annotations.at("a"), "10m 1s");
  p.oldest_close_wait_entered = 0;  // unknown age
  EXPECT_EQ(e.At(1001, {p})[0].state, AlertState::kResolved);
}

TEST(RuleEngineFds, FdUsageOfTheNeediestProcessOfTheGroup) {
  Rule r = WithAnnotation(ByProcess("Fds"),
                          "{{ $open_fds }}/{{ $max_fds }}={{ $fd_usage }}");
  r.count_above = 0;
  r.fd_usage_above = 0.9;
  Engine e(r);
  ProcessSeries a = Proc("app", "a.service", 1);
  a.open_fds = 900;
  a.max_fds = 1000;
  EXPECT_TRUE(e.At(0, {a}).empty()) << "0.9 is not above 0.9";
  ProcessSeries b = Proc("app", "b.service", 1);  // same process, other unit
  b.open_fds = 95;
  b.max_fds = 100;
  auto alerts = e.At(1, {a, b});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].value, 2) << "counts of the group's rows are summed";
  EXPECT_EQ(alerts[0].annotations.at("a"), "95/100=0.95");
  b.max_fds = 0;  // no limit known
  EXPECT_EQ(e.At(2, {a, b})[0].state, AlertState::kResolved);
  b.max_fds = UINT64_MAX;  // unlimited
  EXPECT_TRUE(e.At(3, {a, b}).empty());
}

TEST(RuleEngineFds, EveryConditionMustHold) {
  Rule r = ByProcess("Both");
  r.count_above = 2;
  r.fd_usage_above = 0.5;
  Engine e(r);
  ProcessSeries p = Proc("app", "-", 2);
  p.open_fds = 90;
  p.max_fds = 100;
  EXPECT_TRUE(e.At(0, {p}).empty()) << "fds high, count not above 2";
  p.sockets[kCloseWait] = 3;
  p.open_fds = 10;
  EXPECT_TRUE(e.At(1, {p}).empty()) << "count high, fds low";
  p.open_fds = 60;
  EXPECT_EQ(e.At(2, {p}).size(), 1u);
}

TEST(RuleEngineMatch, AnchoredRegexesOnGroupLabels) {
  Rule r = ByProcess("Match");
  r.by = {"process", "unit"};
  r.count_above = 0;
  r.match.push_back({"process", "nginx|envoy", std::regex("nginx|envoy")});
  r.match.push_back({"unit", ".*\\.service", std::regex(".*\\.service")});
  Engine e(r);
  auto alerts = e.At(
      0, {Proc("nginx", "web.service", 1), Proc("nginx-exp", "x.service", 1),
          Proc("xnginx", "x.service", 1), Proc("envoy", "e.scope", 1),
          Proc("envoy", "e.service", 1)});
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].labels.at("unit"), "e.service");
  EXPECT_EQ(alerts[1].labels.at("unit"), "web.service");
}

TEST(RuleEngineGroups, ByPortAndByNothing) {
  Rule port;
  port.name = "Port";
  port.by = {"direction", "port"};
  port.count_above = 1;
  Rule host;
  host.name = "Host";
  host.count_above = 2;
  host.state = kEstablished;
  RuleEngine engine({port, host});
  Snapshot s = Snap(50);
  s.attribution = false;  // neither rule needs it
  PortSeries in;
  in.port = 8080;
  in.sockets[kCloseWait] = 2;
  PortSeries other;
  other.direction = Direction::kOut;
  other.port = -1;
  other.sockets[kCloseWait] = 5;
  s.ports = {in, other};
  s.sockets[kEstablished] = 3;
  auto alerts = engine.Evaluate(s, 50);
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(engine.failures(), 0u);
  EXPECT_EQ(Labels(alerts[0]),
            "alertname=Port,direction=in,port=8080,severity=warning");
  EXPECT_EQ(Labels(alerts[1]),
            "alertname=Port,direction=out,port=other,severity=warning");
  EXPECT_EQ(Labels(alerts[2]), "alertname=Host,severity=warning");
  EXPECT_EQ(alerts[2].value, 3);
}

TEST(RuleEngineGroups, HostOldestComesFromTheCloseWaitSockets) {
  Rule r;
  r.name = "HostOld";
  r.oldest_above = 1min;
  RuleEngine engine({r});
  Snapshot s = Snap(1000);
  s.sockets[kCloseWait] = 2;
  s.close_wait.resize(2);
  s.close_wait[0].entered = 990;
  s.close_wait[1].entered = 945;
  EXPECT_TRUE(engine.Evaluate(s, 1000).empty()) << "oldest 55 s";
  s.close_wait[1].entered = 930;
  auto alerts = engine.Evaluate(s, 1000);
  ASSERT_EQ(alerts.size(), 1u) << "oldest 70 s";
  EXPECT_EQ(alerts[0].value, 2);
}

TEST(RuleEngineLabels, RuleLabelsAddedButAlertnameAndSeverityWin) {
  Rule r = ByProcess("Labels");
  r.count_above = 0;
  r.severity = "critical";
  r.labels = {{"team", "db"}, {"alertname", "Spoof"}, {"severity", "low"}};
  Engine e(r);
  auto alerts = e.At(0, {Proc("app", "-", 1)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels.at("team"), "db");
  EXPECT_EQ(alerts[0].labels.at("alertname"), "Labels");
  EXPECT_EQ(alerts[0].labels.at("severity"), "critical");
}

TEST(RuleEngineAttribution, PerProcessRuleOnASampleWithoutItFails) {
  Rule r = ByProcess("Needs");
  r.count_above = 0;
  Engine e(r);
  Snapshot s = Snap(0, {Proc("app", "-", 1)});
  s.attribution = false;
  EXPECT_TRUE(e.engine.Evaluate(s, 0).empty());
  EXPECT_EQ(e.engine.failures(), 1u);
  EXPECT_EQ(e.At(1, {Proc("app", "-", 1)}).size(), 1u);
  EXPECT_EQ(e.engine.failures(), 1u);
}

TEST(RuleEngineSetRules, SameNameKeepsAlertsAndHistory) {
  Rule r = ByProcess("Kept");
  r.growth_above = 0;
  r.window = 1min;
  r.for_duration = 10s;
  Engine e(r);
  e.At(0, {Proc("app", "-", 1)});
  ASSERT_EQ(e.At(5, {Proc("app", "-", 2)})[0].state, AlertState::kPending);
  Rule renamed = r;
  renamed.name = "Fresh";
  r.for_duration = 5s;  // changed, same name: state kept, new `for` used
  e.engine.SetRules({r, renamed});
  auto alerts = e.At(10, {Proc("app", "-", 2)});
  ASSERT_EQ(alerts.size(), 1u) << "Fresh has no history: growth 0";
  EXPECT_EQ(alerts[0].rule, "Kept");
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);
  EXPECT_EQ(alerts[0].active_at, 5);
  alerts = e.At(11, {Proc("app", "-", 3)});
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[1].rule, "Fresh");
  EXPECT_EQ(alerts[1].state, AlertState::kPending);
  EXPECT_EQ(alerts[1].active_at, 11);
}

// BUG at 33c7c66 (SetRules): a dropped rule's firing alerts vanished
// unresolved, and the Notifier resent them forever.
TEST(RuleEngineSetRules, DroppedRuleResolvesItsFiringAlerts) {
  Rule r = ByProcess("Gone");
  r.count_above = 0;
  Engine e(r);
  ASSERT_EQ(e.At(0, {Proc("app", "-", 1)})[0].state, AlertState::kFiring);
  e.engine.SetRules({});
  auto alerts = e.At(1, {Proc("app", "-", 1)});
  ASSERT_EQ(alerts.size(), 1u) << "the firing alert vanished unresolved";
  EXPECT_EQ(alerts[0].state, AlertState::kResolved);
}

}  // namespace
}  // namespace sockwatch::rule_engine_test
