// Config reload (POST /-/reload with --web.enable-lifecycle, and SIGHUP): a
// process named "svcholder" holds CLOSE_WAIT sockets so that rule A
// (count_above 0 by process, for 0s) fires. A valid new file adds rule B and
// changes ports.top_n: A keeps firing with the same activeAt, B appears. An
// invalid one is answered 400 with file:line:col and the key, logged, and
// the running config stays. SIGHUP with a valid file succeeds again.
// GET /-/reload is 405; without the flag POST /-/reload is 404.
#include <signal.h>

#include <algorithm>

#include "alerting_harness.h"
#include "gtest/gtest.h"
#include "mix_fixture.h"
#include "service_support.h"

namespace sockwatch::it::service_reload_test {
namespace {

constexpr uint16_t kPort = 9992;
constexpr char kHolder[] = "svcholder";
constexpr char kSuccess[] = "sockwatch_config_last_reload_successful";
constexpr char kSuccessTime[] =
    "sockwatch_config_last_reload_success_timestamp_seconds";

std::string Rule(const std::string& name) {
  return "  - name: " + name +
         "\n"
         "    by: [process]\n"
         "    match: {process: " +
         std::string(kHolder) +
         "}\n"
         "    count_above: 0\n"
         "    for: 0s\n";
}

std::string ConfigA() { return FastConfig("rules:\n" + Rule("A")); }
std::string ConfigAB() {
  return FastConfig("ports:\n  top_n: 3\nrules:\n" + Rule("A") + Rule("B"));
}

class ServiceReloadTest : public NetnsTest {
 protected:
  void TearDown() override {
    daemon_.reset();
    holder_.reset();
    NetnsTest::TearDown();
  }

  // The holder with two CLOSE_WAIT sockets, and the daemon.
  void Start(bool lifecycle) {
    std::string error;
    holder_ = CloseWaitHolder::Start(kHolder, &error);
    ASSERT_NE(holder_, nullptr) << error;
    ASSERT_EQ(holder_->Leak(), "");
    ASSERT_EQ(holder_->Leak(), "");
    DaemonOptions options;
    options.config_yaml = ConfigA();
    options.port = kPort;
    if (lifecycle) options.extra_args = {"--web.enable-lifecycle"};
    ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  }

  // Polls /alerts until alert `name` is firing (its activeAt to
  // *active_at); false after `budget`.
  bool WaitFiring(const std::string& name, milliseconds budget,
                  std::string* active_at, std::string* last_body) {
    return WaitFor(budget, milliseconds(100), [&] {
      std::string error;
      auto response = daemon_->Get("/alerts", &error);
      if (!response) return false;
      *last_body = response->body;
      std::string state;
      return FindActiveAlert(response->body, name, &state, active_at) &&
             state == "firing";
    });
  }

  // The reload-success gauge, from a fresh scrape; -1 on failure.
  double Gauge(const char* name) {
    std::string error;
    auto scrape = daemon_->Scrape(&error);
    EXPECT_TRUE(scrape) << error;
    if (!scrape) return -1;
    return scrape->Value(name).value_or(-1);
  }

  std::unique_ptr<CloseWaitHolder> holder_;
};

TEST_F(ServiceReloadTest, ValidInvalidAndSighupReloads) {
  ASSERT_NO_FATAL_FAILURE(Start(true));
  std::string active_a;
  std::string body;
  ASSERT_TRUE(WaitFiring("A", milliseconds(10000), &active_a, &body)) << body;
  EXPECT_EQ(Gauge(kSuccess), 1);

  // (a) A valid file: 200, A carries on, B appears.
  const std::string path = daemon_->config_path();
  ASSERT_EQ(ReplaceFile(path, ConfigAB()), "");
  std::string error;
  auto reload =
      HttpCall(kPort, "POST", "/-/reload", milliseconds(5000), &error);
  ASSERT_TRUE(reload) << error;
  EXPECT_EQ(reload->status, 200) << reload->body;
  std::string active_b;
  ASSERT_TRUE(WaitFiring("B", milliseconds(5000), &active_b, &body)) << body;
  std::string active;
  EXPECT_TRUE(WaitFiring("A", milliseconds(1000), &active, &body)) << body;
  EXPECT_EQ(active, active_a) << "rule A's alert restarted on reload";
  EXPECT_EQ(Gauge(kSuccess), 1);
  const double success_time = Gauge(kSuccessTime);
  EXPECT_GT(success_time, 0);

  // (b) An unknown key: 400 naming file:line:col and the key; nothing
  // changes but the gauge.
  const std::string valid = ConfigAB();
  const int bad_line =
      static_cast<int>(std::count(valid.begin(), valid.end(), '\n')) + 1;
  ASSERT_EQ(ReplaceFile(path, valid + "bogus_reload_key: 1\n"), "");
  reload = HttpCall(kPort, "POST", "/-/reload", milliseconds(5000), &error);
  ASSERT_TRUE(reload) << error;
  EXPECT_EQ(reload->status, 400) << reload->body;
  const std::string at = path + ":" + std::to_string(bad_line) + ":1";
  EXPECT_NE(reload->body.find(at), std::string::npos)
      << "want " << at << " in: " << reload->body;
  EXPECT_NE(reload->body.find("bogus_reload_key"), std::string::npos)
      << reload->body;
  EXPECT_TRUE(daemon_->process().Running());
  auto scrape = daemon_->Scrape(&error);
  ASSERT_TRUE(scrape) << error;
  scrape = daemon_->ScrapeNewSample(SampleTimestamp(*scrape),
                                    milliseconds(5000), &error);
  ASSERT_TRUE(scrape) << "sampling stopped after a rejected reload: " << error;
  EXPECT_EQ(scrape->Value(kSuccess).value_or(-1), 0);
  EXPECT_EQ(scrape->Value(kSuccessTime).value_or(-1), success_time);
  EXPECT_TRUE(WaitFiring("A", milliseconds(1000), &active, &body)) << body;
  EXPECT_EQ(active, active_a);
  EXPECT_TRUE(WaitFiring("B", milliseconds(1000), &active, &body)) << body;
  EXPECT_EQ(active, active_b);
  const bool logged = WaitFor(milliseconds(2000), milliseconds(100), [&] {
    const std::string log = daemon_->process().Stderr();
    return log.find("bogus_reload_key") != std::string::npos &&
           log.find(at) != std::string::npos;
  });
  EXPECT_TRUE(logged) << daemon_->process().Stderr();

  // (c) SIGHUP with a valid file: successful again.
  ASSERT_EQ(ReplaceFile(path, ConfigAB()), "");
  ASSERT_EQ(kill(daemon_->process().pid(), SIGHUP), 0);
  const bool ok = WaitFor(milliseconds(5000), milliseconds(100),
                          [&] { return Gauge(kSuccess) == 1; });
  EXPECT_TRUE(ok) << "SIGHUP did not reload:\n" << daemon_->process().Stderr();
  EXPECT_GT(Gauge(kSuccessTime), success_time);
  EXPECT_TRUE(WaitFiring("A", milliseconds(1000), &active, &body)) << body;
  EXPECT_EQ(active, active_a);

  // (d) GET is not how one reloads.
  auto get = daemon_->Get("/-/reload", &error);
  ASSERT_TRUE(get) << error;
  EXPECT_EQ(get->status, 405) << get->body;
  EXPECT_TRUE(daemon_->process().Running());
}

TEST_F(ServiceReloadTest, NoLifecycleEndpointWithoutFlag) {
  ASSERT_NO_FATAL_FAILURE(Start(false));
  std::string error;
  auto reload =
      HttpCall(kPort, "POST", "/-/reload", milliseconds(5000), &error);
  ASSERT_TRUE(reload) << error;
  EXPECT_EQ(reload->status, 404) << reload->body;
  auto get = daemon_->Get("/-/reload", &error);
  ASSERT_TRUE(get) << error;
  EXPECT_EQ(get->status, 404) << get->body;
  EXPECT_TRUE(daemon_->process().Running());
  EXPECT_EQ(daemon_->process().Stderr().find("reloaded"), std::string::npos);
}

}  // namespace
}  // namespace sockwatch::it::service_reload_test
