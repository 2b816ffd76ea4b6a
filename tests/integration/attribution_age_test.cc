// CLOSE_WAIT age against the real kernel: a daemon started after the leak
// dates it from tcp_info (tcpi_last_ack_recv: the peer's FIN), not from when
// it first saw it, and the age then follows wall time across samples.

#include <cmath>
#include <thread>

#include "attribution_support.h"
#include "gtest/gtest.h"

namespace sockwatch::it {
namespace {

constexpr uint16_t kPort = 7201;
constexpr auto kLeakAge = std::chrono::seconds(4);
constexpr double kTolerance = 2.0;  // seconds, per the contract

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

using AgeTest = AttributionTest;

TEST_F(AgeTest, FirstSampleDatesTheLeakFromThePeersFin) {
  Agent* holder = NewAgent("swt_ageA");
  Agent* closer = NewAgent("swt_ageCli");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(holder->Listen(kPort), "");
  Leak leak;
  ASSERT_EQ(MakeInboundLeak(holder, closer, kPort, 10, false, &leak), "");
  const double fin = UnixSeconds(leak.fin_seen);
  ASSERT_NO_FATAL_FAILURE(Settle());
  // The leak is T old before the daemon ever runs.
  std::this_thread::sleep_for(kLeakAge);

  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = 9963;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  std::string error;
  auto first = daemon_->Scrape(&error);
  ASSERT_TRUE(first) << error;
  const double t1 = SampleTimestamp(*first);
  const Labels who = {{"process", "swt_ageA"},
                      {"unit", ExpectedUnit(holder->pid())}};
  const auto age1 = first->Value(kOldest, who);
  ASSERT_TRUE(age1) << "no " << kOldest << " for swt_ageA";
  // Exactly how old the leak was when that sample started.
  EXPECT_NEAR(*age1, t1 - fin, kTolerance);
  EXPECT_GE(*age1,
            std::chrono::duration<double>(kLeakAge).count() - kTolerance);

  // The histogram holds that one socket, in the bucket its age falls in.
  EXPECT_EQ(first->Value("sockwatch_close_wait_age_seconds_count"), 1);
  EXPECT_NEAR(first->Value("sockwatch_close_wait_age_seconds_sum").value_or(-1),
              *age1, 0.01);
  EXPECT_EQ(
      first->Value("sockwatch_close_wait_age_seconds_bucket", {{"le", "10"}}),
      *age1 <= 10 ? 1 : 0);
  EXPECT_EQ(
      first->Value("sockwatch_close_wait_age_seconds_bucket", {{"le", "+Inf"}}),
      1);

  // The per-socket view gives the same age (whole seconds).
  auto rows = GetJson("/sockets?process=swt_ageA");
  ASSERT_TRUE(rows);
  ASSERT_EQ((*rows)["sockets"].Items().size(), 1u) << rows->Dump();
  const double now = UnixSeconds(std::chrono::system_clock::now());
  EXPECT_NEAR((*rows)["sockets"].Items()[0]["age_seconds"].Number(), now - fin,
              kTolerance);

  // Later samples: the age grows exactly with the sample clock (the first
  // date is kept by cookie, not re-estimated).
  auto later = daemon_->ScrapeNewSample(t1 + 2.0, milliseconds(15000), &error);
  ASSERT_TRUE(later) << error;
  const double t2 = SampleTimestamp(*later);
  const auto age2 = later->Value(kOldest, who);
  ASSERT_TRUE(age2);
  EXPECT_GE(t2 - t1, 2.0);
  EXPECT_NEAR(*age2 - *age1, t2 - t1, 0.01);
  EXPECT_NEAR(*age2, t2 - fin, kTolerance);
  rows = GetJson("/sockets?process=swt_ageA");
  ASSERT_TRUE(rows);
  ASSERT_EQ((*rows)["sockets"].Items().size(), 1u) << rows->Dump();
  EXPECT_GE((*rows)["sockets"].Items()[0]["age_seconds"].Number(),
            std::floor(*age2));
}

}  // namespace
}  // namespace sockwatch::it
