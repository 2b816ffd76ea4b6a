// Replays a dump recorded from the real kernel (see tests/fixtures/README.md)
// through the real collector and aggregator.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>

#include "collectors/dump_file.h"
#include "collectors/sock_diag_collector.h"
#include "daemon/aggregator.h"

namespace sockwatch {
namespace {

TEST(RecordedDump, LoopbackMixMatchesWhatSsSaw) {
  Status st;
  auto replay = ReplayTransport::Open(
      std::string(SOCKWATCH_FIXTURES) + "/loopback-mix.nldump", &st);
  ASSERT_TRUE(st.ok()) << st.message();
  SockDiagCollector collector(replay.get(), {});
  Aggregator agg;
  CollectStats stats;
  ASSERT_TRUE(collector.Collect(agg, &stats).ok());
  Snapshot s;
  agg.Finish(50, &s);
  EXPECT_EQ(s.sockets_sampled, 15u);
  EXPECT_EQ(s.sockets[kListen], 2u);
  EXPECT_EQ(s.sockets[kEstablished], 6u);
  EXPECT_EQ(s.sockets[kCloseWait], 3u);
  EXPECT_EQ(s.sockets[kFinWait2], 3u);
  EXPECT_EQ(s.sockets[kTimeWait], 1u);
  EXPECT_EQ(s.recv_queue_bytes[kCloseWait], 203u);
  ASSERT_EQ(s.ports.size(), 4u);
  EXPECT_EQ(s.ports[0].direction, Direction::kIn);
  EXPECT_EQ(s.ports[0].port, 7000);
  EXPECT_EQ(s.ports[0].sockets[kCloseWait], 2u);
  EXPECT_EQ(s.ports[0].sockets[kTimeWait], 1u);
  EXPECT_EQ(s.ports[1].direction, Direction::kOut);
  EXPECT_EQ(s.ports[1].port, 7000);
  EXPECT_EQ(s.ports[1].sockets[kFinWait2], 2u);
}

TEST(RecordedDump, CloseWaitSocketsCarryTcpInfoAndOthersDoNot) {
  Status st;
  auto replay = ReplayTransport::Open(
      std::string(SOCKWATCH_FIXTURES) + "/loopback-mix.nldump", &st);
  ASSERT_TRUE(st.ok());
  struct Sink : ResettableSink {
    void Reset() override { records.clear(); }
    void OnSocket(const SocketRecord& r) override { records.push_back(r); }
    std::vector<SocketRecord> records;
  } sink;
  SockDiagCollector collector(replay.get(), {});
  CollectStats stats;
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  int close_wait = 0;
  for (const auto& r : sink.records) {
    EXPECT_EQ(r.has_tcp_info, r.state == kCloseWait);
    if (r.state == kCloseWait) {
      ++close_wait;
      EXPECT_NE(r.cookie, 0u);
      EXPECT_NE(r.inode, 0u);
    }
  }
  EXPECT_EQ(close_wait, 3);
}

}  // namespace
}  // namespace sockwatch

namespace sockwatch {
namespace {

// Random corruption of a real dump: every outcome is allowed except a crash
// or an out-of-bounds read (the sanitizer build checks that), and a pass
// never reports more sockets than bytes could hold: each of its three
// requests is answered with at most the whole file (a reply whose DONE was
// corrupted runs to the end, and the next request serves the file again).
TEST(RecordedDump, SurvivesCorruption) {
  Status st;
  auto original = ReplayTransport::Open(
      std::string(SOCKWATCH_FIXTURES) + "/loopback-mix.nldump", &st);
  ASSERT_TRUE(st.ok());
  std::ifstream in(std::string(SOCKWATCH_FIXTURES) + "/loopback-mix.nldump",
                   std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  ASSERT_FALSE(bytes.empty());
  std::mt19937 rng(20261121);
  int failed = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> mutated = bytes;
    int flips = 1 + rng() % 8;
    for (int i = 0; i < flips; ++i) {
      mutated[rng() % mutated.size()] = static_cast<uint8_t>(rng());
    }
    if (round % 5 == 0) mutated.resize(rng() % mutated.size());
    ReplayTransport replay(std::move(mutated));
    SockDiagCollector::Options options;
    options.max_attempts = 2;
    SockDiagCollector collector(&replay, options);
    Aggregator agg;
    CollectStats stats;
    if (!collector.Collect(agg, &stats).ok()) ++failed;
    Snapshot s;
    agg.Finish(50, &s);
    EXPECT_LE(s.sockets_sampled, 3 * (bytes.size() / 72));
  }
  EXPECT_GT(failed, 0);  // the corruption did reach the parser
}

}  // namespace
}  // namespace sockwatch
