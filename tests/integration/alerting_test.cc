// Alerting end to end, against a real Alertmanager: a process named
// "cwholder" leaks CLOSE_WAIT sockets at 2 per second; sockwatch (1 s
// interval, a growth rule over 5 s with for: 2s) must show the alert pending
// then firing in /alerts and /metrics, push it to Alertmanager with the same
// labels, and resolve it in both when the holder dies. A second test stops
// Alertmanager mid-run: sampling goes on, failed sends are counted, and the
// alert arrives again once Alertmanager is back on the same port.
#include <gmock/gmock.h>

#include "alerting_harness.h"
#include "mix_fixture.h"

namespace sockwatch::it::alerting_test {
namespace {

using ::testing::StartsWith;

constexpr uint16_t kDaemonPort = 9983;
constexpr char kHolder[] = "cwholder";
constexpr char kRule[] = "CloseWaitGrowth";
constexpr double kLeakPerSecond = 2;

// The labels sockwatch must give the alert: group, rule labels, alertname
// and severity, nothing else.
const Labels kWant = {{"alertname", kRule},
                      {"process", kHolder},
                      {"severity", "page"},
                      {"team", "it"}};

std::string Config(const std::string& alertmanager,
                   const std::string& resend_interval) {
  return FastConfig(std::string("rules:\n") + "  - name: " + kRule + "\n" +
                    "    by: [process]\n"
                    "    match: {process: " +
                    kHolder +
                    "}\n"
                    "    growth_above: 1\n"
                    "    window: 5s\n"
                    "    for: 2s\n"
                    "    severity: page\n"
                    "    labels: {team: it}\n"
                    "    annotations:\n"
                    "      summary: '{{ $labels.process }} grew by {{ $growth "
                    "}} to {{ $value }}'\n"
                    "alerting:\n"
                    "  alertmanagers: [" +
                    alertmanager +
                    "]\n"
                    "  resend_interval: " +
                    resend_interval +
                    "\n"
                    "  timeout: 1s\n");
}

class AlertingTest : public NetnsTest {
 protected:
  // Starts Alertmanager, the holder and the daemon (firing alerts resent
  // every `resend_interval`).
  void Start(const std::string& resend_interval) {
    const uint16_t port = FreeLoopbackPort();
    ASSERT_NE(port, 0);
    am_ = std::make_unique<Alertmanager>(netns_.get(), port);
    ASSERT_EQ(am_->Start(milliseconds(30000)), "");
    std::string error;
    holder_ = CloseWaitHolder::Start(kHolder, &error);
    ASSERT_NE(holder_, nullptr) << error;
    DaemonOptions options;
    options.config_yaml = Config(am_->url(), resend_interval);
    options.port = kDaemonPort;
    ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  }
  void TearDown() override {
    daemon_.reset();
    holder_.reset();
    am_.reset();
    NetnsTest::TearDown();
  }

  // Keeps the leak going while `leak`; fails the test on a leak error.
  bool Leak(bool leak) {
    if (!leak) return true;
    const std::string error = holder_->LeakOnSchedule(kLeakPerSecond);
    EXPECT_EQ(error, "");
    return error.empty();
  }

  // The alert of kRule in sockwatch's /alerts ("none" state when absent),
  // polled every 100 ms until `done` holds; the distinct states seen, in
  // order, go to *states.
  bool WaitDaemon(milliseconds budget, bool leak,
                  const std::function<bool(const ListedAlert&)>& done,
                  std::vector<std::string>* states, ListedAlert* seen) {
    std::string last;
    const bool ok = WaitFor(budget, milliseconds(100), [&] {
      if (!Leak(leak)) return true;
      auto response = daemon_->Get("/alerts", &last);
      if (!response) return false;
      auto alerts = ParseSockwatchAlerts(response->body);
      EXPECT_TRUE(alerts) << response->body;
      if (!alerts) return true;
      const ListedAlert* a = FindAlert(*alerts, {{"alertname", kRule}});
      ListedAlert none;
      none.state = "none";
      *seen = a ? *a : none;
      if (states->empty() || states->back() != seen->state) {
        states->push_back(seen->state);
      }
      return done(*seen);
    });
    return ok && !HasFailure();
  }

  // Polls Alertmanager's /api/v2/alerts until the alert with kWant is
  // `present` (copied to *seen) or absent.
  bool WaitAlertmanager(milliseconds budget, bool leak, bool present,
                        ListedAlert* seen, std::string* last) {
    const bool ok = WaitFor(budget, milliseconds(200), [&] {
      if (!Leak(leak)) return true;
      auto response = am_->Get("/api/v2/alerts", last);
      if (!response) return false;
      *last = response->body;
      auto alerts = ParseAlertmanagerAlerts(response->body);
      if (!alerts) return false;
      const ListedAlert* a = FindAlert(*alerts, {{"alertname", kRule}});
      if (a != nullptr) *seen = *a;
      return (a != nullptr) == present;
    });
    return ok && !HasFailure();
  }

  double Notifications(const Exposition& scrape, const std::string& result) {
    return scrape.Value("sockwatch_notifications_total", {{"result", result}})
        .value_or(-1);
  }

  // What sockwatch counts for the holder, for failure messages.
  std::string Diagnose() {
    std::string error;
    auto scrape = daemon_->Scrape(&error);
    if (!scrape) return error;
    std::string out = "leaked " + std::to_string(holder_->leaked()) + ";";
    for (const Sample& s : scrape->Select("sockwatch_process_tcp_sockets",
                                          {{"state", "close_wait"}})) {
      if (s.value > 0)
        out += " " + SeriesKey(s.name, s.labels) + " " +
               std::to_string(s.value) + ";";
    }
    return out + " unreadable processes " +
           std::to_string(
               scrape->Value("sockwatch_attribution_unreadable_processes")
                   .value_or(-1));
  }

  // Leaks until the alert fires in sockwatch and reaches Alertmanager.
  void FireEverywhere(std::vector<std::string>* states) {
    ListedAlert seen;
    ASSERT_TRUE(WaitDaemon(
        milliseconds(30000), true,
        [](const ListedAlert& a) { return a.state == "firing"; }, states,
        &seen))
        << "states seen: " << testing::PrintToString(*states) << "; "
        << Diagnose();
    EXPECT_EQ(seen.labels, kWant) << FormatLabels(seen.labels);
    EXPECT_THAT(seen.annotations["summary"],
                StartsWith(std::string(kHolder) + " grew by "));
    std::string last;
    ListedAlert in_am;
    ASSERT_TRUE(
        WaitAlertmanager(milliseconds(20000), true, true, &in_am, &last))
        << "Alertmanager never listed it; last answer: " << last;
    EXPECT_EQ(in_am.labels, kWant) << FormatLabels(in_am.labels);
    EXPECT_THAT(in_am.annotations["summary"],
                StartsWith(std::string(kHolder) + " grew by "));
    EXPECT_EQ(in_am.generator_url,
              "http://127.0.0.1:" + std::to_string(kDaemonPort) + "/alerts");
  }

  std::unique_ptr<Alertmanager> am_;
  std::unique_ptr<CloseWaitHolder> holder_;
};

TEST_F(AlertingTest, PendingFiringInAlertmanagerThenResolvedEverywhere) {
  // Resent only every minute: a firing alert would stay in Alertmanager for
  // 4 minutes (its endsAt), so its going away proves the resolution came.
  ASSERT_NO_FATAL_FAILURE(Start("1m"));
  std::vector<std::string> states;
  ASSERT_NO_FATAL_FAILURE(FireEverywhere(&states));
  EXPECT_EQ(states, (std::vector<std::string>{"none", "pending", "firing"}));

  std::string error;
  auto scrape = daemon_->Scrape(&error);
  ASSERT_TRUE(scrape) << error;
  Labels series = kWant;
  series["state"] = "firing";
  EXPECT_EQ(scrape->Value("sockwatch_alerts", series), 1)
      << "no " << SeriesKey("sockwatch_alerts", series);
  EXPECT_GE(Notifications(*scrape, "success"), 1);
  EXPECT_EQ(Notifications(*scrape, "failure"), 0);
  EXPECT_EQ(scrape->Value("sockwatch_rule_evaluation_failures_total"), 0);

  // The holder dies: its CLOSE_WAIT sockets go, the group disappears.
  holder_->Kill();
  ListedAlert seen;
  states.clear();
  EXPECT_TRUE(WaitDaemon(
      milliseconds(15000), false,
      [](const ListedAlert& a) { return a.state == "none"; }, &states, &seen))
      << "still " << seen.state << " in /alerts";
  scrape = daemon_->Scrape(&error);
  ASSERT_TRUE(scrape) << error;
  EXPECT_TRUE(
      scrape->Select("sockwatch_alerts", {{"alertname", kRule}}).empty());
  // Alertmanager drops resolved alerts (endsAt in the past) from its list.
  std::string last;
  EXPECT_TRUE(WaitAlertmanager(milliseconds(15000), false, false, &seen, &last))
      << "Alertmanager still lists it: " << last;
}

TEST_F(AlertingTest, AlertmanagerDownThenBackOnTheSamePort) {
  ASSERT_NO_FATAL_FAILURE(Start("1s"));  // sends (and fails) every second
  std::vector<std::string> states;
  ASSERT_NO_FATAL_FAILURE(FireEverywhere(&states));
  ASSERT_EQ(am_->Stop(), "");

  std::string error;
  auto scrape = daemon_->Scrape(&error);
  ASSERT_TRUE(scrape) << error;
  const double t0 = SampleTimestamp(*scrape);
  const double failures0 = Notifications(*scrape, "failure");
  const double successes0 = Notifications(*scrape, "success");
  double t = t0, failures = failures0;
  const bool degraded = WaitFor(milliseconds(30000), milliseconds(200), [&] {
    if (!Leak(true)) return true;
    scrape = daemon_->Scrape(&error);
    if (!scrape) return true;
    t = SampleTimestamp(*scrape);
    failures = Notifications(*scrape, "failure");
    return t >= t0 + 3 && failures >= failures0 + 2;
  });
  ASSERT_TRUE(degraded && scrape)
      << error << "; sample timestamp went " << t0 << " -> " << t
      << ", failed sends " << failures0 << " -> " << failures;
  // The rule engine does not depend on Alertmanager.
  ListedAlert seen;
  EXPECT_TRUE(WaitDaemon(
      milliseconds(5000), true,
      [](const ListedAlert& a) { return a.state == "firing"; }, &states,
      &seen));

  ASSERT_EQ(am_->Start(milliseconds(30000)), "");
  std::string last;
  ListedAlert in_am;
  EXPECT_TRUE(WaitAlertmanager(milliseconds(45000), true, true, &in_am, &last))
      << "not delivered after the restart; last answer: " << last;
  EXPECT_EQ(in_am.labels, kWant) << FormatLabels(in_am.labels);
  // Counted by the sender after Alertmanager answered: may lag a little.
  double successes = successes0;
  EXPECT_TRUE(WaitFor(milliseconds(5000), milliseconds(100),
                      [&] {
                        scrape = daemon_->Scrape(&error);
                        if (scrape)
                          successes = Notifications(*scrape, "success");
                        return successes > successes0;
                      }))
      << error << "; successful sends " << successes0 << " -> " << successes;
}

}  // namespace
}  // namespace sockwatch::it::alerting_test
