#include "collectors/sock_diag_collector.h"

#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>

#include "collectors/dump_file.h"
#include "collectors/tcp_state.h"
#include "tests/unit/diag_builder.h"

namespace sockwatch {
namespace {

using testing::DiagBuilder;
using testing::FakeSocket;
using testing::FakeTransport;
using Datagrams = std::vector<std::vector<uint8_t>>;

class RecordingSink : public ResettableSink {
 public:
  void Reset() override {
    ++resets;
    records.clear();
  }
  void OnSocket(const SocketRecord& r) override { records.push_back(r); }
  int resets = 0;
  std::vector<SocketRecord> records;
};

// One IPv4 and one IPv6 socket per request, in the request's first state,
// then DONE.
Datagrams OneSocketEach(const FakeTransport::Request& r) {
  FakeSocket s;
  for (int st = 1; st <= kMaxState; ++st) {
    if (r.states & (1u << st)) {
      s.state = st;
      break;
    }
  }
  FakeSocket s6 = s;
  s6.family = AF_INET6;
  return {DiagBuilder(r.seq, FakeTransport::kPortId)
              .Socket(s)
              .Socket(s6)
              .Done()
              .bytes()};
}

TEST(SockDiagCollector, ListenFirstThenRestThenCloseWaitWithTcpInfo) {
  FakeTransport fake(OneSocketEach);
  SockDiagCollector collector(&fake, {});
  RecordingSink sink;
  CollectStats stats;
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  ASSERT_EQ(fake.requests.size(), 3u);
  const uint8_t info = 1 << (INET_DIAG_INFO - 1);
  for (const FakeTransport::Request& r : fake.requests) {
    EXPECT_EQ(r.family, AF_UNSPEC);  // both families in one walk
  }
  EXPECT_EQ(fake.requests[0].states, StateBit(kListen));
  EXPECT_EQ(fake.requests[0].extensions, 0);
  EXPECT_EQ(fake.requests[1].states & StateBit(kListen), 0u);
  EXPECT_EQ(fake.requests[1].states & StateBit(kCloseWait), 0u);
  EXPECT_NE(fake.requests[1].states & StateBit(kTimeWait), 0u);
  EXPECT_NE(fake.requests[1].states & StateBit(kNewSynRecv), 0u);
  EXPECT_NE(fake.requests[1].states & StateBit(kBoundInactive), 0u);
  EXPECT_EQ(fake.requests[1].extensions, 0);
  EXPECT_EQ(fake.requests[2].states, StateBit(kCloseWait));
  EXPECT_EQ(fake.requests[2].extensions, info);
  // Every state is asked for exactly once.
  uint32_t all = 0;
  for (const FakeTransport::Request& r : fake.requests) {
    EXPECT_EQ(all & r.states, 0u);
    all |= r.states;
  }
  EXPECT_EQ(all, kAllStatesMask);
  ASSERT_EQ(sink.records.size(), 6u);
  EXPECT_EQ(sink.records[0].state, kListen);
  EXPECT_EQ(sink.records[1].family, AF_INET6);
  EXPECT_EQ(stats.attempts, 1u);
  EXPECT_EQ(stats.sockets, 6u);
}

TEST(SockDiagCollector, TcpInfoCanBeTurnedOff) {
  FakeTransport fake(OneSocketEach);
  SockDiagCollector collector(&fake, {/*close_wait_tcp_info=*/false, 3});
  RecordingSink sink;
  CollectStats stats;
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  for (const auto& r : fake.requests) EXPECT_EQ(r.extensions, 0);
}

TEST(SockDiagCollector, DumpInterruptedRetriesWithCleanSink) {
  int calls = 0;
  FakeTransport fake([&](const FakeTransport::Request& r) {
    if (calls++ == 1) {  // the first "rest" dump is interrupted
      FakeSocket s;
      return Datagrams{DiagBuilder(r.seq, FakeTransport::kPortId)
                           .Socket(s, NLM_F_MULTI | NLM_F_DUMP_INTR)
                           .Done(NLM_F_MULTI | NLM_F_DUMP_INTR)
                           .bytes()};
    }
    return OneSocketEach(r);
  });
  SockDiagCollector collector(&fake, {});
  RecordingSink sink;
  CollectStats stats;
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  EXPECT_EQ(stats.attempts, 2u);
  EXPECT_EQ(stats.Of(DumpProblem::kDumpInterrupted), 1u);
  EXPECT_EQ(sink.resets, 2);
  EXPECT_EQ(sink.records.size(), 6u);  // only the clean attempt's sockets
  EXPECT_EQ(fake.resets, 1);
}

TEST(SockDiagCollector, GivesUpAfterBoundedAttempts) {
  FakeTransport fake([](const FakeTransport::Request& r) {
    return Datagrams{DiagBuilder(r.seq, FakeTransport::kPortId)
                         .Done(NLM_F_MULTI | NLM_F_DUMP_INTR)
                         .bytes()};
  });
  SockDiagCollector collector(&fake, {true, 3});
  RecordingSink sink;
  CollectStats stats;
  Status s = collector.Collect(sink, &stats);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(stats.attempts, 3u);
  EXPECT_EQ(stats.Of(DumpProblem::kDumpInterrupted), 3u);
  EXPECT_NE(s.message().find("giving up"), std::string::npos);
}

TEST(SockDiagCollector, KernelErrorFailsWithErrno) {
  FakeTransport fake([](const FakeTransport::Request& r) {
    return Datagrams{
        DiagBuilder(r.seq, FakeTransport::kPortId).Error(EPERM).bytes()};
  });
  SockDiagCollector collector(&fake, {});
  RecordingSink sink;
  CollectStats stats;
  Status s = collector.Collect(sink, &stats);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.err(), EPERM);
  EXPECT_EQ(stats.Of(DumpProblem::kNetlinkError), 1u);
  EXPECT_EQ(stats.attempts, 1u);  // a kernel error is not retried
}

TEST(SockDiagCollector, NoBuffersGrowsAndRetries) {
  bool failed = false;
  FakeTransport fake([&](const FakeTransport::Request& r) {
    if (!failed) {
      failed = true;
      return Datagrams{{FakeTransport::kErrorMarker, ENOBUFS}};
    }
    return OneSocketEach(r);
  });
  SockDiagCollector collector(&fake, {});
  RecordingSink sink;
  CollectStats stats;
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  EXPECT_EQ(fake.grown, 1);
  EXPECT_EQ(stats.Of(DumpProblem::kNoBuffers), 1u);
  EXPECT_EQ(sink.records.size(), 6u);
}

TEST(SockDiagCollector, TruncatedReplyGrowsBufferAndRetries) {
  // One datagram bigger than the initial 64 KiB buffer.
  FakeTransport fake([](const FakeTransport::Request& r) {
    DiagBuilder b(r.seq, FakeTransport::kPortId);
    if (r.states == StateBit(kListen)) {
      FakeSocket s;
      s.state = kListen;
      for (int i = 0; i < 1000; ++i) b.Socket(s);
    }
    return Datagrams{b.Done().bytes()};
  });
  SockDiagCollector collector(&fake, {});
  RecordingSink sink;
  CollectStats stats;
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  EXPECT_GE(stats.Of(DumpProblem::kTruncated), 1u);
  EXPECT_EQ(sink.records.size(), 1000u);
}

TEST(SockDiagCollector, SilenceMidDumpIsATimeout) {
  FakeTransport fake([](const FakeTransport::Request& r) {
    FakeSocket s;  // a socket but never a DONE
    return Datagrams{
        DiagBuilder(r.seq, FakeTransport::kPortId).Socket(s).bytes()};
  });
  SockDiagCollector collector(&fake, {});
  RecordingSink sink;
  CollectStats stats;
  EXPECT_FALSE(collector.Collect(sink, &stats).ok());
  EXPECT_EQ(stats.Of(DumpProblem::kTimeout), 1u);
}

TEST(SockDiagCollector, ForeignAndMalformedRepliesAreCountedAndRetried) {
  int calls = 0;
  FakeTransport fake([&](const FakeTransport::Request& r) {
    ++calls;
    if (calls == 1) {
      return Datagrams{
          DiagBuilder(r.seq + 100, FakeTransport::kPortId).Done().bytes()};
    }
    if (calls == 3) return Datagrams{{1, 2, 3, 4, 5}};  // 2nd of pass 2
    return OneSocketEach(r);
  });
  SockDiagCollector collector(&fake, {});
  RecordingSink sink;
  CollectStats stats;
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  EXPECT_EQ(stats.Of(DumpProblem::kForeign), 1u);
  EXPECT_EQ(stats.Of(DumpProblem::kMalformed), 1u);
  EXPECT_EQ(stats.attempts, 3u);
}

TEST(SockDiagCollector, ReplaysARecordedDump) {
  // Record a pass from the fake, then replay the file through the parser.
  std::string path = ::testing::TempDir() + "/replay.nldump";
  FakeTransport fake(OneSocketEach);
  {
    Status st;
    auto recorder = RecordingTransport::Open(&fake, path, &st);
    ASSERT_TRUE(st.ok()) << st.message();
    SockDiagCollector collector(recorder.get(), {});
    RecordingSink sink;
    CollectStats stats;
    ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  }
  Status st;
  auto replay = ReplayTransport::Open(path, &st);
  ASSERT_TRUE(st.ok()) << st.message();
  SockDiagCollector collector(replay.get(), {});
  for (int pass = 0; pass < 2; ++pass) {  // the file is served again
    RecordingSink sink;
    CollectStats stats;
    ASSERT_TRUE(collector.Collect(sink, &stats).ok());
    ASSERT_EQ(sink.records.size(), 6u);
    EXPECT_EQ(sink.records[0].state, kListen);
    EXPECT_EQ(sink.records[5].state, kCloseWait);
    EXPECT_EQ(sink.records[5].family, AF_INET6);
  }
}

}  // namespace
}  // namespace sockwatch

namespace sockwatch {
namespace {

// single_walk: two "any family" requests of the older form, tcp_info with
// every state but LISTEN; replies of that type parse like the others.
TEST(SockDiagCollector, SingleWalkAsksForBothFamiliesAtOnce) {
  FakeTransport fake([](const FakeTransport::Request& r) {
    FakeSocket a;
    a.family = AF_INET;
    a.state = (r.states & StateBit(kListen)) ? kListen : kCloseWait;
    FakeSocket b = a;
    b.family = AF_INET6;
    return Datagrams{DiagBuilder(r.seq, FakeTransport::kPortId)
                         .Socket(a)
                         .Socket(b)
                         .Done()
                         .bytes()};
  });
  SockDiagCollector::Options options;
  options.single_walk = true;
  SockDiagCollector collector(&fake, options);
  RecordingSink sink;
  CollectStats stats;
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  ASSERT_EQ(fake.requests.size(), 2u);
  EXPECT_EQ(fake.requests[0].family, AF_UNSPEC);
  EXPECT_EQ(fake.requests[0].states, StateBit(kListen));
  EXPECT_EQ(fake.requests[0].extensions, 0);
  EXPECT_EQ(fake.requests[1].family, AF_UNSPEC);
  EXPECT_EQ(fake.requests[1].states, kAllStatesMask & ~StateBit(kListen));
  EXPECT_EQ(fake.requests[1].extensions, 1 << (INET_DIAG_INFO - 1));
  ASSERT_EQ(sink.records.size(), 4u);
  EXPECT_EQ(sink.records[0].state, kListen);
  EXPECT_EQ(sink.records[3].family, AF_INET6);
  EXPECT_EQ(stats.sockets, 4u);

  fake.requests.clear();
  ASSERT_TRUE(collector.CollectStates(StateBit(kCloseWait), sink, &stats).ok());
  ASSERT_EQ(fake.requests.size(), 1u);
  EXPECT_EQ(fake.requests[0].family, AF_UNSPEC);
}

}  // namespace
}  // namespace sockwatch
