// IPv4 and IPv6 each on their own: a daemon that skipped one family's dump,
// or counted IPv4-mapped sockets twice, gets exact numbers wrong here.

#include "gtest/gtest.h"
#include "mix_fixture.h"

namespace sockwatch::it {
namespace {

struct FamilyCase {
  const char* name;
  Family listener;
  bool dual_stack;
  Family client;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const FamilyCase& c, std::ostream* os) { *os << c.name; }

class FamilyTest : public NetnsTest,
                   public ::testing::WithParamInterface<FamilyCase> {};

TEST_P(FamilyTest, CountsOneFamilyExactly) {
  const FamilyCase& c = GetParam();
  ListenOptions listen;
  listen.dual_stack = c.dual_stack;
  ASSERT_EQ(mix_->Listen(c.listener, 7101, listen), "");
  ASSERT_EQ(mix_->Established(7101, c.client, 3), "");
  ASSERT_EQ(mix_->CloseWait(7101, c.client, 4321, false), "");
  ASSERT_EQ(mix_->CloseWait(7101, c.client, 10, true), "");
  ASSERT_EQ(mix_->TimeWait(7101, c.client), "");
  ASSERT_EQ(mix_->BoundInactive(c.listener, 7102), "");
  ASSERT_EQ(mix_->Settle(milliseconds(10000)), "");

  DaemonOptions options;
  options.config_yaml = FastConfig();
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  auto scrape = CleanScrape();
  ASSERT_TRUE(scrape);
  ExpectMixStillValid();

  StateCounts expected = mix_->ByState();
  expected["listen"] += 1;  // the daemon's, on 127.0.0.1
  EXPECT_EQ(NonZero(StatesOf(*scrape)), NonZero(expected))
      << "daemon: " << Format(StatesOf(*scrape))
      << "\nmix:    " << Format(expected);
  EXPECT_EQ(
      scrape->Value(kQueueMetric, {{"state", "close_wait"}, {"queue", "recv"}}),
      4321 + 10 + 2);  // data + one unread FIN per socket
}

INSTANTIATE_TEST_SUITE_P(
    Families, FamilyTest,
    ::testing::Values(FamilyCase{"ipv4", Family::kV4, false, Family::kV4},
                      FamilyCase{"ipv6", Family::kV6, false, Family::kV6},
                      FamilyCase{"ipv4_mapped", Family::kV6, true,
                                 Family::kV4}),
    [](const ::testing::TestParamInfo<FamilyCase>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace sockwatch::it
