// sockwatch_tcp_port_sockets: the service-port view of DESIGN.md, checked
// against the mix (which knows each socket's side) and against ss.

#include "gtest/gtest.h"
#include "mix_fixture.h"

namespace sockwatch::it {
namespace {

constexpr uint16_t kDaemonPort = 9978;

// Every state total of the port view equals sockwatch_tcp_sockets.
void ExpectPortViewSumsToStates(const Exposition& scrape) {
  const StateCounts totals = Totals(PortViewOf(scrape));
  for (const char* state : kStates) {
    SCOPED_TRACE(state);
    const auto it = totals.find(state);
    EXPECT_EQ(it == totals.end() ? 0 : it->second,
              scrape.Value(kSocketsMetric, {{"state", state}}).value_or(-1));
  }
}

TEST_F(MixTest, PortViewIsExact) {
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = kDaemonPort;
  options.equals_form = false;  // `--web.listen-address 127.0.0.1:9978`
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  auto scrape = CleanScrape();
  ASSERT_TRUE(scrape);
  std::string error;
  auto ss = RunSs(&error);
  ASSERT_TRUE(ss) << error;
  ExpectMixStillValid();

  const PortView got = NonZero(PortViewOf(*scrape));
  const PortView want =
      NonZero(Merge(mix_->ByPort(), ListenerView(kDaemonPort)));
  EXPECT_EQ(got, want) << "daemon:\n"
                       << Format(got) << "mix:\n"
                       << Format(want);

  // A few cells spelled out, so a failure names the rule that broke.
  auto cell = [&](const char* direction, uint16_t port, const char* state) {
    return scrape
        ->Value(kPortMetric, {{"direction", direction},
                              {"port", std::to_string(port)},
                              {"state", state}})
        .value_or(-1);
  };
  // Server side of a listening port is "in" on that port ...
  EXPECT_EQ(cell("in", kPortV4Main, "close_wait"), 3);
  EXPECT_EQ(cell("in", kPortV4Main, "established"), 5);
  EXPECT_EQ(cell("in", kPortV4Main, "listen"), 1);
  EXPECT_EQ(cell("in", kPortTimeWait, "time_wait"), 3);
  EXPECT_EQ(cell("in", kPortSynRecv, "syn_recv"), 2);
  EXPECT_EQ(cell("in", kPortWindow, "last_ack"), 1);
  // ... and the client side, on an ephemeral port, is "out" on the peer's.
  EXPECT_EQ(cell("out", kPortV4Main, "fin_wait2"), 3);
  EXPECT_EQ(cell("out", kPortV4Main, "established"), 5);
  EXPECT_EQ(cell("out", kPortV6Main, "fin_wait2"), 3);
  EXPECT_EQ(cell("out", kPortSynSent, "syn_sent"), 2);
  EXPECT_EQ(cell("out", kPortWindow, "closing"), 1);
  EXPECT_EQ(cell("out", kPortWindow, "fin_wait1"), 1);
  EXPECT_EQ(scrape->Sum(kPortMetric, {{"direction", "in"},
                                      {"port", std::to_string(kPortV4Main)},
                                      {"state", "fin_wait2"}}),
            0);
  EXPECT_EQ(cell("in", kDaemonPort, "listen"), 1);

  // The same rule applied to ss's table (which omits bound-inactive).
  const PortView from_ss = ClassifyPorts(ToSocketRows(*ss));
  PortView want_ss = want;
  for (auto& [key, counts] : want_ss) counts.erase(kBoundInactiveState);
  EXPECT_EQ(NonZero(from_ss), NonZero(want_ss)) << "ss:\n"
                                                << Format(NonZero(from_ss));

  ExpectPortViewSumsToStates(*scrape);
}

TEST_F(MixTest, PortViewTopNFoldsIntoOther) {
  DaemonOptions options;
  options.config_yaml = FastConfig("ports:\n  top_n: 2\n");
  options.port = kDaemonPort;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));

  bool ambiguous = true;
  const PortView want = NonZero(FoldTopN(
      Merge(mix_->ByPort(), ListenerView(kDaemonPort)), 2, &ambiguous));
  ASSERT_FALSE(ambiguous) << "the mix must rank its top 2 pairs clearly";
  ASSERT_EQ(want.count({"in", std::to_string(kPortV4Main)}), 1u);
  ASSERT_EQ(want.count({"out", std::to_string(kPortV4Main)}), 1u);

  // The daemon's port is folded into in/other here, so a sample that caught
  // one of our HTTP connections cannot be told apart: take the first of up
  // to 5 samples that matches, and report the last one if none does.
  std::string error;
  bool matched = false;
  auto scrape = daemon_->ScrapeUntil(
      [&](const Exposition& s) { return NonZero(PortViewOf(s)) == want; }, 5,
      &matched, &error);
  ASSERT_TRUE(scrape) << error;
  ExpectMixStillValid();
  const PortView got = NonZero(PortViewOf(*scrape));
  EXPECT_TRUE(matched) << "daemon:\n"
                       << Format(got) << "expected:\n"
                       << Format(want);

  int numbered = 0;
  for (const auto& [key, counts] : got) numbered += key.port != "other";
  EXPECT_EQ(numbered, 2) << Format(got);
  EXPECT_EQ(got.count({"in", "other"}), 1u);
  EXPECT_EQ(got.count({"out", "other"}), 1u);
  ExpectPortViewSumsToStates(*scrape);
}

}  // namespace
}  // namespace sockwatch::it
