// The `rules:` and `alerting:` sections of the config: what is read, the
// built-in rules, and every error with its exact file:line:column and key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "daemon/rule_engine.h"

namespace sockwatch::rules_config_test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(RulesConfig, ReadsEveryKey) {
  Config c;
  Status s = ParseConfig(
      "interval: 5s\n"
      "rules:\n"
      "  - name: Leak\n"
      "    state: close_wait\n"
      "    by: [process, unit]\n"
      "    match: {process: 'nginx|envoy', unit: '.*\\.service'}\n"
      "    count_above: 5\n"
      "    growth_above: 2\n"
      "    window: 1m\n"
      "    oldest_above: 10m\n"
      "    fd_usage_above: 0.75\n"
      "    for: 30s\n"
      "    keep_firing_for: 2m\n"
      "    severity: page\n"
      "    labels: {team: web}\n"
      "    annotations:\n"
      "      summary: '{{ $labels.process }} has {{ $value }}'\n"
      "  - name: Ports\n"
      "    state: established\n"
      "    by: [direction, port]\n"
      "    count_above: 0\n"
      "alerting:\n"
      "  alertmanagers: [http://127.0.0.1:9093/, 'https://am.example:443']\n"
      "  resend_interval: 30s\n"
      "  timeout: 2s\n",
      "r.yml", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(c.rules_configured);
  ASSERT_EQ(c.rules.size(), 2u);
  const Rule& r = c.rules[0];
  EXPECT_EQ(r.name, "Leak");
  EXPECT_EQ(r.state, kCloseWait);
  EXPECT_EQ(r.by, (std::vector<std::string>{"process", "unit"}));
  ASSERT_EQ(r.match.size(), 2u);
  EXPECT_EQ(r.match[0].label, "process");
  EXPECT_EQ(r.match[0].pattern, "nginx|envoy");
  EXPECT_TRUE(std::regex_match("envoy", r.match[0].regex));
  EXPECT_EQ(r.match[1].pattern, ".*\\.service");
  EXPECT_EQ(r.count_above, 5u);
  EXPECT_EQ(r.growth_above, 2u);
  EXPECT_EQ(r.window, 1min);
  EXPECT_EQ(r.oldest_above, 10min);
  EXPECT_EQ(r.fd_usage_above, 0.75);
  EXPECT_EQ(r.for_duration, 30s);
  EXPECT_EQ(r.keep_firing_for, 2min);
  EXPECT_EQ(r.severity, "page");
  EXPECT_EQ(r.labels, (std::map<std::string, std::string>{{"team", "web"}}));
  ASSERT_EQ(r.annotations.count("summary"), 1u);
  std::map<std::string, std::string> labels = {{"process", "nginx"}};
  TemplateData data;
  data.labels = &labels;
  data.value = 7;
  EXPECT_EQ(r.annotations.at("summary").Render(data), "nginx has 7");
  EXPECT_EQ(c.rules[1].state, kEstablished);
  EXPECT_TRUE(c.rules[1].ByPort());
  EXPECT_FALSE(c.rules[1].ByProcess());
  EXPECT_EQ(c.rules[1].severity, "warning") << "the default";
  EXPECT_EQ(c.alerting.alertmanagers,
            (std::vector<std::string>{"http://127.0.0.1:9093",
                                      "https://am.example:443"}));
  EXPECT_EQ(c.alerting.resend_interval, 30s);
  EXPECT_EQ(c.alerting.timeout, 2s);
}

TEST(RulesConfig, BuiltInRules) {
  Config c;
  ASSERT_TRUE(ParseConfig("interval: 15s\n", "r.yml", &c).ok());
  EXPECT_FALSE(c.rules_configured);
  ASSERT_EQ(c.rules.size(), 2u);
  const Rule& leak = c.rules[0];
  EXPECT_EQ(leak.name, "CloseWaitLeak");
  EXPECT_EQ(leak.severity, "warning");
  EXPECT_EQ(leak.by, (std::vector<std::string>{"process", "unit"}));
  EXPECT_EQ(leak.oldest_above, 10min);
  EXPECT_EQ(leak.growth_above, 0u);
  EXPECT_EQ(leak.window, 15min);
  EXPECT_EQ(leak.for_duration, 5min);
  EXPECT_FALSE(leak.count_above);
  EXPECT_FALSE(leak.fd_usage_above);
  const Rule& fds = c.rules[1];
  EXPECT_EQ(fds.name, "CloseWaitFdExhaustion");
  EXPECT_EQ(fds.severity, "critical");
  EXPECT_EQ(fds.by, (std::vector<std::string>{"process", "unit"}));
  EXPECT_EQ(fds.count_above, 0u);
  EXPECT_EQ(fds.fd_usage_above, 0.9);
  EXPECT_EQ(fds.for_duration, 1min);
  EXPECT_FALSE(fds.growth_above);
  EXPECT_FALSE(fds.oldest_above);
  for (const Rule& r : c.rules) {
    EXPECT_EQ(r.annotations.size(), 2u) << r.name;
    EXPECT_EQ(r.annotations.count("summary"), 1u) << r.name;
    EXPECT_EQ(r.annotations.count("description"), 1u) << r.name;
  }
}

TEST(RulesConfig, EmptyListAndNoAttributionMeanNoRules) {
  Config c;
  ASSERT_TRUE(ParseConfig("rules: []\n", "r.yml", &c).ok());
  EXPECT_TRUE(c.rules.empty());
  Config off;
  ASSERT_TRUE(ParseConfig("attribution: false\n", "r.yml", &off).ok());
  EXPECT_TRUE(off.rules.empty()) << "the built-in rules are per process";
  Config host;
  Status s = ParseConfig(
      "attribution: false\nrules:\n"
      "  - {name: Host, count_above: 10}\n"
      "  - {name: Port, by: [port], growth_above: 1, window: 1m}\n",
      "r.yml", &host);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(host.rules.size(), 2u);
}

// BUG at 33c7c66: with an interval over 15m the built-in CloseWaitLeak kept
// only the current sample in its 15m window and could never fire, silently.
TEST(RulesConfig, BuiltInLeakRuleStillWorksWithALongInterval) {
  Config c;
  Status s = ParseConfig("interval: 30m\n", "r.yml", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  RuleEngine engine(c.rules);
  bool fired = false;
  for (int i = 0; i < 10 && !fired; ++i) {
    const double t = 1e6 + i * 1800.0;
    Snapshot snap;
    snap.timestamp_seconds = t;
    snap.attribution = true;
    ProcessSeries p;
    p.process = "leaky";
    p.unit = "leaky.service";
    p.sockets[kCloseWait] = 10 * (i + 1);  // grows every sample
    p.oldest_close_wait_entered = 1e6 - 3600;
    snap.all_processes = {p};
    for (const Alert& a : engine.Evaluate(snap, t)) {
      fired |= a.rule == "CloseWaitLeak" && a.state == AlertState::kFiring;
    }
  }
  EXPECT_TRUE(fired) << "interval 30m was accepted, but the built-in "
                        "CloseWaitLeak can never fire with it";
}

// BUG at 33c7c66: a window equal to the interval was accepted, but sample
// timestamps jitter by milliseconds, so the previous sample fell out of the
// window about every other time and growth read 0.
TEST(RulesConfig, WindowEqualToTheIntervalStillSeesThePreviousSample) {
  Config c;
  Status s = ParseConfig(
      "interval: 15s\nrules:\n  - {name: G, growth_above: 0, window: 15s}\n",
      "r.yml", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  RuleEngine engine(c.rules);
  Snapshot before;
  before.timestamp_seconds = 1000;
  before.sockets[kCloseWait] = 1;
  Snapshot after = before;
  after.timestamp_seconds = 1015.003;  // woken 3 ms later than last time
  after.sockets[kCloseWait] = 5;
  engine.Evaluate(before, before.timestamp_seconds);
  EXPECT_EQ(engine.Evaluate(after, after.timestamp_seconds).size(), 1u)
      << "window: 15s with interval: 15s was accepted, but growth 1 -> 5 "
         "over one 15 s sample is not seen";
}

struct BadCase {
  const char* yaml;
  const char* expected;  // file:line:col: key "...": ...
};

// The YAML with every run of other characters made one '_': short, unique
// and readable test names for ctest ("rules_name_A_count_above_1_...").
void PrintTo(const BadCase& c, std::ostream* os) {
  std::string name;
  for (const char* p = c.yaml; *p != '\0'; ++p) {
    if (std::isalnum(static_cast<unsigned char>(*p))) {
      name += *p;
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  if (!name.empty() && name.back() == '_') name.pop_back();
  *os << name;
}

class RulesConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(RulesConfigErrors, NameFileLineColumnAndKey) {
  Config c;
  c.port_top_n = 42;
  Status s = ParseConfig(GetParam().yaml, "/etc/sw.yml", &c);
  ASSERT_FALSE(s.ok()) << GetParam().yaml;
  EXPECT_THAT(s.message(), HasSubstr(GetParam().expected)) << GetParam().yaml;
  EXPECT_EQ(c.port_top_n, 42u) << "a failed load must not change the config";
  EXPECT_FALSE(c.rules_configured);
}

// Every rule below starts on line 2 at column 5 ("rules:\n  - ...").
constexpr char kRuleAt[] = "/etc/sw.yml:2:5: key \"rules[0]";

INSTANTIATE_TEST_SUITE_P(
    Rules, RulesConfigErrors,
    ::testing::Values(
        BadCase{"rules:\n  - name: A\n    count_above: 1\n    bogus: 2\n",
                "/etc/sw.yml:4:5: key \"rules[0].bogus\": unknown key"},
        BadCase{"rules:\n  - name: A\n    count_above: -1\n",
                "/etc/sw.yml:3:18: key \"rules[0].count_above\": expected a "
                "whole number, got \"-1\""},
        BadCase{"rules:\n  - name: A\n    growth_above: -2\n    window: 1m\n",
                "/etc/sw.yml:3:19: key \"rules[0].growth_above\": expected a "
                "whole number, got \"-2\""},
        BadCase{"rules:\n  - name: A\n    fd_usage_above: 1.5\n    by: "
                "[process]\n",
                "/etc/sw.yml:3:21: key \"rules[0].fd_usage_above\": value "
                "1.5 out of range [0, 1]"},
        BadCase{"rules:\n  - name: A\n    fd_usage_above: -0.1\n",
                "/etc/sw.yml:3:21: key \"rules[0].fd_usage_above\": value "
                "-0.1 out of range [0, 1]"},
        BadCase{"rules:\n  - name: A\n    oldest_above: -5m\n",
                "/etc/sw.yml:3:19: key \"rules[0].oldest_above\": invalid "
                "duration \"-5m\""},
        BadCase{"rules:\n  - name: A\n    count_above: 1\n    for: soon\n",
                "/etc/sw.yml:4:10: key \"rules[0].for\": invalid duration"},
        BadCase{"rules:\n  - name: A\n    growth_above: 1\n",
                "/etc/sw.yml:2:5: key \"rules[0].growth_above\": needs a "
                "window"},
        BadCase{"rules:\n  - name: A\n    count_above: 1\n    window: 1m\n",
                "/etc/sw.yml:2:5: key \"rules[0].window\": only applies to "
                "growth_above"},
        BadCase{"interval: 30s\nrules:\n  - name: A\n    growth_above: 1\n"
                "    window: 10s\n",
                "/etc/sw.yml:3:5: key \"rules[0].window\": window 10s is "
                "shorter than the sample interval 30s"},
        BadCase{"rules:\n  - name: A\n    by: [process]\n    count_above: 1\n"
                "attribution: false\n",
                "/etc/sw.yml:2:5: key \"rules[0]\": needs process "
                "attribution, which is switched off (attribution: false)"},
        BadCase{"attribution: false\nrules:\n  - name: A\n    oldest_above: "
                "1m\n",
                "/etc/sw.yml:3:5: key \"rules[0]\": needs process "
                "attribution"},
        BadCase{"rules:\n  - name: A\n    by: [process, port]\n    "
                "count_above: 1\n",
                "/etc/sw.yml:2:5: key \"rules[0].by\": cannot mix "
                "process/unit with port/direction in one rule"},
        BadCase{"namespaces: all\nrules:\n  - name: A\n    by: [netns, "
                "port]\n    count_above: 1\n",
                "/etc/sw.yml:3:5: key \"rules[0].by\": cannot mix netns with "
                "port/direction in one rule"},
        BadCase{"rules:\n  - name: A\n    by: [netns, process]\n    "
                "count_above: 1\n",
                "/etc/sw.yml:2:5: key \"rules[0]\": grouping by netns needs "
                "namespaces: all"},
        BadCase{"namespaces: some\n",
                "/etc/sw.yml:1:13: key \"namespaces\": expected \"host\" or "
                "\"all\", got \"some\""},
        BadCase{"rules:\n  - name: A\n    by: [unit, direction]\n    "
                "count_above: 1\n",
                "rules[0].by\": cannot mix process/unit with port/direction"},
        BadCase{"rules:\n  - name: A\n    by: [process]\n    match: {unit: "
                "x}\n    count_above: 1\n",
                "/etc/sw.yml:4:13: key \"rules[0].match.unit\": can only "
                "match a label listed in by:"},
        BadCase{"rules:\n  - name: A\n    by: [process]\n    match: "
                "{process: '(x'}\n    count_above: 1\n",
                "/etc/sw.yml:4:22: key \"rules[0].match.process\": invalid "
                "regular expression"},
        BadCase{"rules:\n  - name: A\n    state: closewait\n    count_above: "
                "1\n",
                "/etc/sw.yml:3:12: key \"rules[0].state\": unknown state "
                "\"closewait\""},
        BadCase{"rules:\n  - name: A\n    by: [pid]\n    count_above: 1\n",
                "/etc/sw.yml:3:10: key \"rules[0].by[0]\": cannot group by "
                "\"pid\" (process, unit, port, direction)"},
        BadCase{"rules:\n  - name: A\n    by: [unit, unit]\n    count_above: "
                "1\n",
                "/etc/sw.yml:3:16: key \"rules[0].by[1]\": \"unit\" listed "
                "twice"},
        BadCase{"rules:\n  - name: A\n    for: 1m\n",
                "/etc/sw.yml:2:5: key \"rules[0]\": a rule needs a "
                "condition: count_above, growth_above, oldest_above or "
                "fd_usage_above"},
        BadCase{"rules:\n  - count_above: 1\n",
                "/etc/sw.yml:2:5: key \"rules[0]\": a rule needs a name"},
        BadCase{"rules:\n  - {name: A, count_above: 1}\n  - {name: A, "
                "count_above: 2}\n",
                "/etc/sw.yml:3:5: key \"rules[1].name\": duplicate rule name "
                "\"A\""},
        BadCase{"rules:\n  - name: A\n    state: listen\n    oldest_above: "
                "1m\n",
                "/etc/sw.yml:2:5: key \"rules[0].oldest_above\": needs state "
                "close_wait and a grouping by process/unit or none"},
        BadCase{"rules:\n  - name: A\n    by: [port]\n    oldest_above: 1m\n",
                "key \"rules[0].oldest_above\": needs state close_wait"},
        BadCase{"rules:\n  - name: A\n    by: [unit]\n    fd_usage_above: "
                "0.5\n",
                "/etc/sw.yml:2:5: key \"rules[0].fd_usage_above\": needs by: "
                "[process, ...]"},
        BadCase{"rules:\n  - name: A\n    count_above: 1\n    labels: "
                "{1team: x}\n",
                "/etc/sw.yml:4:13: key \"rules[0].labels\": bad label name "
                "1team"},
        BadCase{"rules:\n  - name: A\n    count_above: 1\n    annotations:\n"
                "      summary: '{{ $nope }}'\n",
                "/etc/sw.yml:5:16: key \"rules[0].annotations.summary\": "
                "template: unknown variable $nope"},
        BadCase{"rules:\n  - name: A\n    count_above: 1\n    annotations:\n"
                "      summary: 'x {{ $value'\n",
                "/etc/sw.yml:5:16: key \"rules[0].annotations.summary\": "
                "template: unclosed {{"},
        BadCase{"rules: {name: A}\n",
                "/etc/sw.yml:1:8: key \"rules\": expected a list"},
        BadCase{"rules:\n  - CloseWaitLeak\n",
                "/etc/sw.yml:2:5: key \"rules[0]\": expected a mapping of "
                "keys"},
        BadCase{"rules:\n  - name: A\n    count_above: 1\n    labels: [x]\n",
                "/etc/sw.yml:4:13: key \"rules[0].labels\": expected a "
                "mapping of names to values"}));

INSTANTIATE_TEST_SUITE_P(
    Alerting, RulesConfigErrors,
    ::testing::Values(
        BadCase{"alerting:\n  alertmanagers: [127.0.0.1:9093]\n",
                "/etc/sw.yml:2:19: key \"alerting.alertmanagers[0]\": "
                "expected an http:// or https:// URL"},
        BadCase{"alerting:\n  resend_interval: 500ms\n",
                "/etc/sw.yml:2:20: key \"alerting.resend_interval\": must be "
                "at least 1s"},
        BadCase{"alerting:\n  timeout: 10ms\n",
                "/etc/sw.yml:2:12: key \"alerting.timeout\": must be at "
                "least 100ms"},
        BadCase{"alerting:\n  alertmanager: [http://x]\n",
                "/etc/sw.yml:2:3: key \"alerting.alertmanager\": unknown "
                "key"}));

// BUG at 33c7c66: a scalar `match:` was silently ignored (the rule matched
// every group) and a list was reported at "0:0" as invalid YAML.
INSTANTIATE_TEST_SUITE_P(
    MatchNotAMapping, RulesConfigErrors,
    ::testing::Values(
        BadCase{"rules:\n  - name: A\n    by: [process]\n    match: nginx\n"
                "    count_above: 1\n",
                "/etc/sw.yml:4:12: key \"rules[0].match\": expected a "
                "mapping"},
        BadCase{"rules:\n  - name: A\n    by: [process]\n    match: "
                "[process]\n    count_above: 1\n",
                "/etc/sw.yml:4:12: key \"rules[0].match\": expected a "
                "mapping"}));

// BUG at 33c7c66: a rule label `state` gave sockwatch_alerts two `state`
// labels, which fails the whole scrape in Prometheus; the labels sockwatch
// sets itself are now refused.
INSTANTIATE_TEST_SUITE_P(
    ReservedLabels, RulesConfigErrors,
    ::testing::Values(
        BadCase{"rules:\n  - name: A\n    count_above: 1\n    labels: "
                "{state: x}\n",
                "/etc/sw.yml:4:13: key \"rules[0].labels\": label \"state\" "
                "is set by sockwatch"},
        BadCase{"rules:\n  - name: A\n    count_above: 1\n    labels: "
                "{alertname: x}\n",
                "/etc/sw.yml:4:13: key \"rules[0].labels\": label "
                "\"alertname\" is set by sockwatch"},
        BadCase{"rules:\n  - name: A\n    count_above: 1\n    labels: "
                "{severity: x}\n",
                "label \"severity\" is set by sockwatch"},
        BadCase{"rules:\n  - name: A\n    by: [process]\n    count_above: "
                "1\n    labels: {process: x}\n",
                "/etc/sw.yml:5:13: key \"rules[0].labels\": label "
                "\"process\" is set by sockwatch"}));

}  // namespace
}  // namespace sockwatch::rules_config_test
