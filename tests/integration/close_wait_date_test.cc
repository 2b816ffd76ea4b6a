// How a CLOSE_WAIT socket seen for the first time is dated, against the real
// kernel. The walk of a sample carries no tcp_info: a few new sockets are
// then asked for one by one (an exact sock_diag request by addresses, ports
// and cookie), more than 256 by a CLOSE_WAIT dump with tcp_info. Either way a
// socket that sat in CLOSE_WAIT for T seconds before the daemon started is T
// seconds old in its first sample, in every address family; a socket the
// daemon failed to date would be 0 seconds old.

#include <chrono>
#include <thread>

#include "attribution_support.h"
#include "gtest/gtest.h"

namespace sockwatch::it {
namespace {

constexpr uint16_t kPort = 7301;
constexpr auto kLeakAge = std::chrono::seconds(4);
constexpr double kTolerance = 2.0;  // seconds, as for AgeTest

struct DateCase {
  const char* name;
  Family listener;
  bool dual_stack;
  Family client;
  size_t sockets;
};

void PrintTo(const DateCase& c, std::ostream* os) { *os << c.name; }

class CloseWaitDateTest : public AttributionTest,
                          public ::testing::WithParamInterface<DateCase> {};

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

TEST_P(CloseWaitDateTest, FirstSampleDatesEveryLeakFromItsFin) {
  const DateCase& c = GetParam();
  ListenOptions listen;
  listen.dual_stack = c.dual_stack;
  listen.backlog = 1024;
  ASSERT_EQ(mix_->Listen(c.listener, kPort, listen), "");
  const auto first_fin = std::chrono::steady_clock::now();
  for (size_t i = 0; i < c.sockets; ++i) {
    ASSERT_EQ(mix_->CloseWait(kPort, c.client, 0, true), "") << "socket " << i;
  }
  const auto last_fin = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(kLeakAge);

  DaemonOptions options;
  options.config_yaml = FastConfig();
  const auto before_start = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  // At least this old in any sample the daemon takes from now on.
  const double youngest = Since(last_fin) - Since(before_start);
  auto rows = GetJson("/sockets?state=close_wait&port=7301&limit=1000");
  ASSERT_TRUE(rows);
  const double oldest = Since(first_fin);
  const auto& sockets = (*rows)["sockets"].Items();
  ASSERT_EQ(sockets.size(), c.sockets) << rows->Dump();
  size_t undated = 0;
  for (const Json& s : sockets) {
    const double age = s["age_seconds"].Number();
    EXPECT_GE(age, youngest - kTolerance) << s.Dump();
    EXPECT_LE(age, oldest + kTolerance) << s.Dump();
    undated += age < 1 ? 1 : 0;
  }
  EXPECT_EQ(undated, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Families, CloseWaitDateTest,
    ::testing::Values(
        DateCase{"ipv4_looked_up", Family::kV4, false, Family::kV4, 3},
        DateCase{"ipv6_looked_up", Family::kV6, false, Family::kV6, 3},
        DateCase{"ipv4_mapped_looked_up", Family::kV6, true, Family::kV4, 3},
        DateCase{"ipv4_many_dumped", Family::kV4, false, Family::kV4, 300}),
    [](const ::testing::TestParamInfo<DateCase>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace sockwatch::it
