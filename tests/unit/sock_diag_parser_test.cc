#include "collectors/sock_diag_parser.h"

#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>

#include "collectors/tcp_state.h"
#include "tests/unit/diag_builder.h"

namespace sockwatch {
namespace {

using testing::CollectingSink;
using testing::DiagBuilder;
using testing::FakeSocket;
using Outcome = ChunkResult::Outcome;

constexpr uint32_t kSeq = 77;
constexpr uint32_t kPort = 1234;

ChunkResult Parse(const std::vector<uint8_t>& bytes, CollectingSink& sink,
                  uint32_t port = kPort) {
  return ParseDiagChunk(bytes.data(), bytes.size(), kSeq, port, sink);
}

TEST(SockDiagParser, DecodesEveryField) {
  FakeSocket s;
  s.family = AF_INET6;
  s.state = kCloseWait;
  s.local_port = 8080;
  s.remote_port = 51000;
  s.inode = 99;
  s.recv_queue = 1500;
  s.send_queue = 7;
  s.cookie = 0x1122334455667788ULL;
  s.cgroup_id = 4321;
  s.last_data_recv_ms = 65000;
  CollectingSink sink;
  ChunkResult r = Parse(DiagBuilder(kSeq, kPort).Socket(s).bytes(), sink);
  EXPECT_EQ(r.outcome, Outcome::kMore);
  ASSERT_EQ(sink.records.size(), 1u);
  const SocketRecord& rec = sink.records[0];
  EXPECT_EQ(rec.family, AF_INET6);
  EXPECT_EQ(rec.state, kCloseWait);
  EXPECT_EQ(rec.local_port, 8080);
  EXPECT_EQ(rec.remote_port, 51000);
  EXPECT_EQ(rec.inode, 99u);
  EXPECT_EQ(rec.recv_queue, 1500u);
  EXPECT_EQ(rec.send_queue, 7u);
  EXPECT_EQ(rec.cookie, 0x1122334455667788ULL);
  EXPECT_EQ(rec.cgroup_id, 4321u);
  EXPECT_TRUE(rec.has_tcp_info);
  EXPECT_EQ(rec.last_data_recv_ms, 65000u);
  EXPECT_EQ(rec.local_addr[0], 127);
}

TEST(SockDiagParser, NoAttributesMeansNoTcpInfoNoCgroup) {
  FakeSocket s;
  CollectingSink sink;
  Parse(DiagBuilder(kSeq, kPort).Socket(s).bytes(), sink);
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_FALSE(sink.records[0].has_tcp_info);
  EXPECT_EQ(sink.records[0].cgroup_id, 0u);
}

TEST(SockDiagParser, MultipartEndsAtDone) {
  DiagBuilder b(kSeq, kPort);
  for (int i = 0; i < 5; ++i) {
    FakeSocket s;
    s.local_port = 1000 + i;
    b.Socket(s);
  }
  b.Done();
  FakeSocket after;
  b.Socket(after);  // nothing after DONE is read
  CollectingSink sink;
  ChunkResult r = Parse(b.bytes(), sink);
  EXPECT_EQ(r.outcome, Outcome::kDone);
  EXPECT_EQ(r.sockets, 5u);
  EXPECT_EQ(sink.records.size(), 5u);
  EXPECT_EQ(sink.records[4].local_port, 1004);
}

TEST(SockDiagParser, TruncatedMessageIsMalformedAfterDeliveringWholeOnes) {
  FakeSocket s;
  auto bytes = DiagBuilder(kSeq, kPort).Socket(s).Socket(s).bytes();
  for (size_t cut :
       {bytes.size() - 1, bytes.size() / 2 + 8, bytes.size() / 2 + 2}) {
    std::vector<uint8_t> truncated(bytes.begin(), bytes.begin() + cut);
    CollectingSink sink;
    ChunkResult r = Parse(truncated, sink);
    EXPECT_EQ(r.outcome, Outcome::kMalformed) << "cut at " << cut;
    EXPECT_EQ(sink.records.size(), 1u) << "cut at " << cut;
  }
}

TEST(SockDiagParser, GarbageIsMalformed) {
  std::vector<uint8_t> garbage = {0xde, 0xad, 0xbe, 0xef, 1,  2,  3,  4,  5,
                                  6,    7,    8,    9,    10, 11, 12, 13, 14};
  CollectingSink sink;
  EXPECT_EQ(Parse(garbage, sink).outcome, Outcome::kMalformed);
  EXPECT_TRUE(sink.records.empty());
  std::vector<uint8_t> tiny = {1, 2, 3};
  EXPECT_EQ(Parse(tiny, sink).outcome, Outcome::kMalformed);
}

TEST(SockDiagParser, EmptyChunkNeedsMore) {
  CollectingSink sink;
  EXPECT_EQ(Parse({}, sink).outcome, Outcome::kMore);
}

TEST(SockDiagParser, ShortSocketMessageIsSkippedNotFatal) {
  // A SOCK_DIAG_BY_FAMILY message whose body is too short for inet_diag_msg.
  std::vector<uint8_t> msg(sizeof(nlmsghdr) + 8, 0);
  auto* h = reinterpret_cast<nlmsghdr*>(msg.data());
  h->nlmsg_len = msg.size();
  h->nlmsg_type = 20;  // SOCK_DIAG_BY_FAMILY
  h->nlmsg_seq = kSeq;
  h->nlmsg_pid = kPort;
  FakeSocket s;
  auto bytes = DiagBuilder(kSeq, kPort).Raw(msg).Socket(s).Done().bytes();
  CollectingSink sink;
  ChunkResult r = Parse(bytes, sink);
  EXPECT_EQ(r.outcome, Outcome::kDone);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(sink.records.size(), 1u);
}

TEST(SockDiagParser, ErrorCarriesErrno) {
  CollectingSink sink;
  ChunkResult r = Parse(DiagBuilder(kSeq, kPort).Error(EACCES).bytes(), sink);
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.error, EACCES);
}

TEST(SockDiagParser, DumpInterruptedIsFlagged) {
  FakeSocket s;
  auto bytes = DiagBuilder(kSeq, kPort)
                   .Socket(s, NLM_F_MULTI | NLM_F_DUMP_INTR)
                   .Done(NLM_F_MULTI | NLM_F_DUMP_INTR)
                   .bytes();
  CollectingSink sink;
  ChunkResult r = Parse(bytes, sink);
  EXPECT_EQ(r.outcome, Outcome::kDone);
  EXPECT_TRUE(r.interrupted);
}

TEST(SockDiagParser, WrongSequenceOrPortIsForeign) {
  FakeSocket s;
  CollectingSink sink;
  EXPECT_EQ(Parse(DiagBuilder(kSeq + 1, kPort).Socket(s).bytes(), sink).outcome,
            Outcome::kForeign);
  EXPECT_EQ(Parse(DiagBuilder(kSeq, kPort + 1).Socket(s).bytes(), sink).outcome,
            Outcome::kForeign);
  EXPECT_TRUE(sink.records.empty());
  // Port id 0 (a replay) accepts any sender.
  EXPECT_EQ(
      Parse(DiagBuilder(kSeq, kPort + 1).Socket(s).bytes(), sink, 0).outcome,
      Outcome::kMore);
}

}  // namespace
}  // namespace sockwatch

namespace sockwatch {
namespace {

// Replies to the older TCPDIAG_GETSOCK request carry that message type and
// the same payload; other types are still skipped.
TEST(SockDiagParser, ReadsCompatReplies) {
  FakeSocket s;
  s.state = kEstablished;
  s.inode = 5;
  std::vector<uint8_t> bytes = DiagBuilder(kSeq, kPort).Socket(s).bytes();
  auto* nlh = reinterpret_cast<nlmsghdr*>(bytes.data());
  nlh->nlmsg_type = TCPDIAG_GETSOCK;
  CollectingSink sink;
  EXPECT_EQ(Parse(bytes, sink).outcome, Outcome::kMore);
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].inode, 5u);
  nlh->nlmsg_type = 99;
  CollectingSink none;
  Parse(bytes, none);
  EXPECT_TRUE(none.records.empty());
}

}  // namespace
}  // namespace sockwatch
