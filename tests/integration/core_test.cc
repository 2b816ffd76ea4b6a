// Core end-to-end checks: HTTP endpoints, and the per-state socket counts of
// a real kernel socket table against the mix the test built and against ss.

#include <regex>

#include "gtest/gtest.h"
#include "mix_fixture.h"

namespace sockwatch::it {
namespace {

constexpr uint16_t kDefaultPort = 9977;

TEST_F(MixTest, EndpointsAndExactCountsForEveryState) {
  // No --web.listen-address: the default 127.0.0.1:9977 must be used.
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = kDefaultPort;
  options.listen_flag = false;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));

  std::string error;
  auto healthy = daemon_->Get("/-/healthy", &error);
  ASSERT_TRUE(healthy) << error;
  EXPECT_EQ(healthy->status, 200);
  auto ready = daemon_->Get("/-/ready", &error);
  ASSERT_TRUE(ready) << error;
  EXPECT_EQ(ready->status, 200);
  auto index = daemon_->Get("/", &error);
  ASSERT_TRUE(index) << error;
  EXPECT_EQ(index->status, 200);
  for (const char* target : {"/metrics", "/-/healthy", "/-/ready"}) {
    const std::regex link(std::string("href=[\"']") + target + "[\"']");
    EXPECT_TRUE(std::regex_search(index->body, link))
        << "/ does not link " << target << ":\n"
        << index->body;
  }

  auto scrape = CleanScrape();
  ASSERT_TRUE(scrape);
  auto ss = RunSs(&error);
  ASSERT_TRUE(ss) << error;
  ExpectMixStillValid();

  // The mix plus the daemon's own listener.
  StateCounts expected = mix_->ByState();
  expected["listen"] += 1;
  const StateCounts ss_counts = SsCounts(*ss);
  for (const char* state : kStates) {
    SCOPED_TRACE(state);
    auto value = scrape->Value(kSocketsMetric, {{"state", state}});
    ASSERT_TRUE(value) << "no series " << kSocketsMetric << "{state=\"" << state
                       << "\"}";
    EXPECT_EQ(*value, expected[state]) << "mix built " << expected[state];
    // ss 6.1 does not list bound-inactive sockets at all.
    if (std::string(state) != kBoundInactiveState) {
      EXPECT_EQ(*value, ss_counts.at(state))
          << "ss -tan shows " << ss_counts.at(state);
    }
  }
  EXPECT_EQ(scrape->Select(kSocketsMetric).size(), kStates.size())
      << "states: " << Format(StatesOf(*scrape));
  EXPECT_EQ(scrape->Value("sockwatch_sockets_sampled"),
            static_cast<double>(Sum(expected)));
  EXPECT_EQ(scrape->Value("sockwatch_sockets_sampled"),
            scrape->Sum(kSocketsMetric));

  // Self metrics of a healthy sample.
  EXPECT_GE(
      scrape->Value("sockwatch_sample_duration_seconds_count").value_or(0), 1);
  EXPECT_GT(SampleTimestamp(*scrape), 1.6e9);
  EXPECT_EQ(scrape->Sum("sockwatch_sample_errors_total"), 0);
  const auto build = scrape->Select("sockwatch_build_info");
  ASSERT_EQ(build.size(), 1u);
  EXPECT_EQ(build[0].value, 1);
  EXPECT_FALSE(build[0].labels.count("version") == 0 ||
               build[0].labels.at("version").empty());
  EXPECT_EQ(build[0].labels.count("revision"), 1u);
}

TEST_F(MixTest, ReadyMeansASampleIsPublished) {
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = 9990;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  // The very first scrape after /-/ready turned 200 already has the data.
  std::string error;
  auto scrape = daemon_->Scrape(&error);
  ASSERT_TRUE(scrape) << error;
  EXPECT_GT(SampleTimestamp(*scrape), 0);
  EXPECT_EQ(scrape->Select(kSocketsMetric).size(), kStates.size());
  EXPECT_GE(scrape->Value("sockwatch_sockets_sampled").value_or(0),
            static_cast<double>(Sum(mix_->ByState())));
}

TEST_F(MixTest, CustomTelemetryPath) {
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = 9991;
  options.equals_form = false;
  options.extra_args = {"--web.telemetry-path", "/probe"};
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  std::string error;
  auto scrape = daemon_->Scrape(&error, nullptr, "/probe");
  ASSERT_TRUE(scrape) << error;
  EXPECT_EQ(scrape->Select(kSocketsMetric).size(), kStates.size());
  auto index = daemon_->Get("/", &error);
  ASSERT_TRUE(index) << error;
  EXPECT_TRUE(std::regex_search(index->body, std::regex("href=[\"']/probe")))
      << index->body;
}

TEST_F(MixTest, ExitsPromptlyOnSigtermAndSigint) {
  for (const int signal : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(strsignal(signal));
    DaemonOptions options;
    options.config_yaml = FastConfig();
    options.port = 9992;
    ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
    const auto start = Clock::now();
    const ExitStatus status =
        daemon_->process().Stop(milliseconds(3000), signal);
    const double seconds = SecondsSince(start);
    EXPECT_FALSE(status.forced) << status.ToString();
    EXPECT_TRUE(status.Ok() || status.signal == signal) << status.ToString();
    EXPECT_LT(seconds, 2.0) << "took " << seconds << " s to exit";
    daemon_.reset();
  }
}

}  // namespace
}  // namespace sockwatch::it
