#include "daemon/aggregator.h"

#include <gtest/gtest.h>

#include <map>

namespace sockwatch {
namespace {

SocketRecord Sock(uint8_t state, uint16_t local, uint16_t remote,
                  uint32_t rq = 0, uint32_t wq = 0) {
  SocketRecord r;
  r.state = state;
  r.local_port = local;
  r.remote_port = remote;
  r.recv_queue = rq;
  r.send_queue = wq;
  return r;
}

const PortSeries* Find(const Snapshot& s, Direction d, int port) {
  for (const auto& row : s.ports) {
    if (row.direction == d && row.port == port) return &row;
  }
  return nullptr;
}

TEST(Aggregator, CountsStatesAndQueuesButNotListenBacklog) {
  Aggregator agg;
  agg.OnSocket(Sock(kListen, 80, 0, 3, 128));
  agg.OnSocket(Sock(kCloseWait, 80, 40000, 100, 0));
  agg.OnSocket(Sock(kCloseWait, 80, 40001, 50, 10));
  agg.OnSocket(Sock(kEstablished, 40002, 443, 0, 7));
  agg.OnSocket(Sock(99, 1, 1));  // unknown state: ignored
  Snapshot s;
  agg.Finish(50, &s);
  EXPECT_EQ(s.sockets_sampled, 4u);
  EXPECT_EQ(s.sockets[kListen], 1u);
  EXPECT_EQ(s.sockets[kCloseWait], 2u);
  EXPECT_EQ(s.recv_queue_bytes[kCloseWait], 150u);
  EXPECT_EQ(s.send_queue_bytes[kCloseWait], 10u);
  EXPECT_EQ(s.send_queue_bytes[kEstablished], 7u);
  EXPECT_EQ(s.recv_queue_bytes[kListen], 0u);
  EXPECT_EQ(s.send_queue_bytes[kListen], 0u);
}

TEST(Aggregator, ServicePortView) {
  Aggregator agg;
  agg.OnSocket(Sock(kListen, 8080, 0));
  // Server side of connections to 8080: in, keyed by 8080.
  agg.OnSocket(Sock(kEstablished, 8080, 50001));
  agg.OnSocket(Sock(kCloseWait, 8080, 50002));
  // Client side of those same connections: out, keyed by 8080.
  agg.OnSocket(Sock(kEstablished, 50001, 8080));
  agg.OnSocket(Sock(kFinWait2, 50002, 8080));
  // An outbound connection to a remote database.
  agg.OnSocket(Sock(kCloseWait, 41000, 5432));
  Snapshot s;
  agg.Finish(50, &s);
  const PortSeries* in = Find(s, Direction::kIn, 8080);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->sockets[kListen], 1u);
  EXPECT_EQ(in->sockets[kEstablished], 1u);
  EXPECT_EQ(in->sockets[kCloseWait], 1u);
  EXPECT_EQ(in->total, 3u);
  const PortSeries* out = Find(s, Direction::kOut, 8080);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->sockets[kEstablished], 1u);
  EXPECT_EQ(out->sockets[kFinWait2], 1u);
  const PortSeries* db = Find(s, Direction::kOut, 5432);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->sockets[kCloseWait], 1u);
  EXPECT_EQ(Find(s, Direction::kOut, 50001), nullptr);
  EXPECT_EQ(s.ports_folded, 0u);
}

TEST(Aggregator, PortCapFoldsTheRestIntoOtherAndKeepsSums) {
  Aggregator agg;
  agg.OnSocket(Sock(kListen, 1000, 0));
  for (int i = 0; i < 5; ++i) agg.OnSocket(Sock(kEstablished, 1000, 30000 + i));
  for (int i = 0; i < 3; ++i) agg.OnSocket(Sock(kCloseWait, 40000 + i, 2000));
  for (int p = 0; p < 10; ++p)
    agg.OnSocket(Sock(kTimeWait, 41000 + p, 3000 + p));
  agg.OnSocket(Sock(kListen, 9000, 0));
  Snapshot s;
  agg.Finish(2, &s);
  EXPECT_EQ(s.ports_folded, 11u);  // 10 out TIME_WAIT ports + in:9000
  ASSERT_EQ(s.ports.size(), 4u);   // in:1000, out:2000, other in, other out
  EXPECT_EQ(s.ports[0].port, 1000);
  EXPECT_EQ(s.ports[0].total, 6u);
  EXPECT_EQ(s.ports[1].port, 2000);
  const PortSeries* other_out = Find(s, Direction::kOut, -1);
  ASSERT_NE(other_out, nullptr);
  EXPECT_EQ(other_out->sockets[kTimeWait], 10u);
  const PortSeries* other_in = Find(s, Direction::kIn, -1);
  ASSERT_NE(other_in, nullptr);
  EXPECT_EQ(other_in->sockets[kListen], 1u);
  for (int state = 1; state <= kMaxState; ++state) {
    uint64_t sum = 0;
    for (const auto& row : s.ports) sum += row.sockets[state];
    EXPECT_EQ(sum, s.sockets[state]) << StateName(state);
  }
}

TEST(Aggregator, TiesAreBrokenByDirectionThenPort) {
  Aggregator agg;
  agg.OnSocket(Sock(kEstablished, 40000, 700));
  agg.OnSocket(Sock(kEstablished, 40001, 600));
  agg.OnSocket(Sock(kEstablished, 40002, 800));
  Snapshot s;
  agg.Finish(2, &s);
  ASSERT_EQ(s.ports.size(), 3u);
  EXPECT_EQ(s.ports[0].port, 600);
  EXPECT_EQ(s.ports[1].port, 700);
  EXPECT_EQ(s.ports[2].port, -1);
}

TEST(Aggregator, ResetForgetsEverything) {
  Aggregator agg;
  agg.OnSocket(Sock(kListen, 80, 0));
  agg.OnSocket(Sock(kEstablished, 80, 1234));
  agg.Reset();
  agg.OnSocket(Sock(kEstablished, 80, 1234));  // 80 no longer listens
  Snapshot s;
  agg.Finish(50, &s);
  EXPECT_EQ(s.sockets_sampled, 1u);
  EXPECT_EQ(s.sockets[kListen], 0u);
  EXPECT_NE(Find(s, Direction::kOut, 1234), nullptr);
}

}  // namespace
}  // namespace sockwatch

namespace sockwatch {
namespace {

// Each namespace's own LISTEN ports classify its sockets; counts add up to
// the totals and are kept per namespace.
TEST(Aggregator, NamespacesCountApartAndClassifyByTheirOwnListeners) {
  Aggregator agg;
  agg.BeginNamespace(0);
  agg.OnSocket(Sock(kListen, 80, 0));
  agg.OnSocket(Sock(kCloseWait, 80, 40000));
  agg.BeginNamespace(1);
  // Port 80 does not listen here: this is an outgoing connection to 80.
  agg.OnSocket(Sock(kEstablished, 80, 40001));
  agg.OnSocket(Sock(kCloseWait, 41000, 80));
  Snapshot s;
  agg.Finish(50, &s);
  EXPECT_EQ(s.sockets[kCloseWait], 2u);
  ASSERT_EQ(agg.per_namespace().size(), 2u);
  EXPECT_EQ(agg.per_namespace()[0][kListen], 1u);
  EXPECT_EQ(agg.per_namespace()[0][kCloseWait], 1u);
  EXPECT_EQ(agg.per_namespace()[1][kEstablished], 1u);
  EXPECT_EQ(agg.per_namespace()[1][kCloseWait], 1u);
  ASSERT_NE(Find(s, Direction::kIn, 80), nullptr);
  EXPECT_EQ(Find(s, Direction::kIn, 80)->total, 2u);  // LISTEN + CLOSE_WAIT
  ASSERT_NE(Find(s, Direction::kOut, 80), nullptr);
  EXPECT_EQ(Find(s, Direction::kOut, 80)->total, 1u);
  ASSERT_NE(Find(s, Direction::kIn, 80), nullptr);
  agg.Reset();
  EXPECT_EQ(agg.per_namespace().size(), 1u);
}

}  // namespace
}  // namespace sockwatch
