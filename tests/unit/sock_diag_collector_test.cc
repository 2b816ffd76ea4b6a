#include "collectors/sock_diag_collector.h"

#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
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
  SockDiagCollector::Options options;
  options.close_wait_info = SockDiagCollector::CloseWaitInfo::kNone;
  SockDiagCollector collector(&fake, options);
  RecordingSink sink;
  CollectStats stats;
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  for (const auto& r : fake.requests) EXPECT_EQ(r.extensions, 0);
  // Without tcp_info there is nothing to ask apart: one walk.
  ASSERT_EQ(fake.requests.size(), 2u);
  EXPECT_EQ(fake.requests[1].states, kAllStatesMask & ~StateBit(kListen));
  EXPECT_EQ(sink.records.size(), 4u);
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
  SockDiagCollector collector(&fake, {});
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

using CloseWaitInfo = SockDiagCollector::CloseWaitInfo;

// kLookup: a LISTEN dump, then one walk of every other state without
// tcp_info; the CLOSE_WAIT sockets that `known` does not know are held back
// and asked for one by one with tcp_info (cookie 8 is gone by then), or by
// a CLOSE_WAIT dump with tcp_info when there are more than max_lookups.
class LookupTest : public ::testing::Test {
 protected:
  // The walk: one ESTABLISHED socket and CLOSE_WAIT sockets of cookies
  // 1..close_wait; the CLOSE_WAIT dump: the same with tcp_info (7 s).
  Datagrams Respond(const FakeTransport::Request& r) {
    DiagBuilder b(r.seq, FakeTransport::kPortId);
    FakeSocket cw;
    cw.state = kCloseWait;
    cw.local_port = 80;
    if (!r.dump) {
      if (r.cookie == 8) return {b.Error(ENOENT).bytes()};
      cw.cookie = r.cookie;
      cw.last_data_recv_ms = 5000 + static_cast<int64_t>(r.cookie);
      return {b.Socket(cw, 0).bytes()};
    }
    if (r.states & StateBit(kEstablished)) {
      FakeSocket est;
      est.state = kEstablished;
      b.Socket(est);
    }
    if (r.states & StateBit(kCloseWait)) {
      for (uint64_t c = 1; c <= close_wait; ++c) {
        cw.cookie = c;
        if (r.extensions != 0) cw.last_data_recv_ms = 7000;
        b.Socket(cw);
      }
    }
    return {b.Done().bytes()};
  }
  SockDiagCollector::Options Options(std::vector<uint64_t> known,
                                     size_t max_lookups) {
    SockDiagCollector::Options options;
    options.close_wait_info = CloseWaitInfo::kLookup;
    options.max_lookups = max_lookups;
    options.known_close_wait = [known](uint64_t cookie) {
      return std::find(known.begin(), known.end(), cookie) != known.end();
    };
    return options;
  }
  const SocketRecord* Cookie(uint64_t cookie) const {
    for (const SocketRecord& r : sink.records) {
      if (r.state == kCloseWait && r.cookie == cookie) return &r;
    }
    return nullptr;
  }

  uint64_t close_wait = 0;
  FakeTransport fake{[this](const auto& r) { return Respond(r); }};
  RecordingSink sink;
  CollectStats stats;
};

TEST_F(LookupTest, KnownCloseWaitSocketsCostNoMoreRequests) {
  close_wait = 2;
  SockDiagCollector collector(&fake, Options({1, 2}, 256));
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  ASSERT_EQ(fake.requests.size(), 2u);
  EXPECT_EQ(fake.requests[0].states, StateBit(kListen));
  EXPECT_EQ(fake.requests[1].states, kAllStatesMask & ~StateBit(kListen));
  EXPECT_EQ(fake.requests[1].extensions, 0);
  EXPECT_EQ(sink.records.size(), 3u);
  EXPECT_EQ(stats.sockets, 3u);
}

TEST_F(LookupTest, NewCloseWaitSocketsAreAskedForAloneWithTcpInfo) {
  close_wait = 8;  // 1 is known; 2..8 are new, and 8 goes away
  SockDiagCollector collector(&fake, Options({1}, 256));
  Status status = collector.Collect(sink, &stats);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(fake.requests.size(), 2u + 7u);
  for (size_t i = 2; i < fake.requests.size(); ++i) {
    const FakeTransport::Request& q = fake.requests[i];
    EXPECT_FALSE(q.dump);
    EXPECT_EQ(q.cookie, i);  // cookies 2..8, in walk order
    EXPECT_EQ(q.local_port, 80);
    EXPECT_EQ(q.extensions, 1 << (INET_DIAG_INFO - 1));
  }
  ASSERT_EQ(sink.records.size(), 9u);
  EXPECT_EQ(stats.sockets, 9u);
  EXPECT_FALSE(Cookie(1)->has_tcp_info);
  ASSERT_TRUE(Cookie(2)->has_tcp_info);
  EXPECT_EQ(Cookie(2)->last_ack_recv_ms, 5002u);
  EXPECT_EQ(Cookie(7)->last_ack_recv_ms, 5007u);
  ASSERT_NE(Cookie(8), nullptr);  // the walk saw it: counted, undated
  EXPECT_FALSE(Cookie(8)->has_tcp_info);
  EXPECT_EQ(stats.attempts, 1u);
}

TEST_F(LookupTest, ManyNewCloseWaitSocketsAreDatedByADump) {
  close_wait = 5;  // 1 is known, 4 are new: more than 3
  SockDiagCollector collector(&fake, Options({1}, 3));
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  ASSERT_EQ(fake.requests.size(), 3u);
  EXPECT_EQ(fake.requests[2].states, StateBit(kCloseWait));
  EXPECT_EQ(fake.requests[2].extensions, 1 << (INET_DIAG_INFO - 1));
  ASSERT_EQ(sink.records.size(), 6u);  // each socket once
  EXPECT_EQ(stats.sockets, 6u);
  EXPECT_FALSE(Cookie(1)->has_tcp_info);
  for (uint64_t c = 2; c <= 5; ++c) {
    ASSERT_NE(Cookie(c), nullptr);
    EXPECT_EQ(Cookie(c)->last_ack_recv_ms, 7000u);
  }
}

TEST_F(LookupTest, AForeignLookupReplyStartsThePassAgain) {
  close_wait = 2;
  int exact = 0;
  FakeTransport odd([&](const FakeTransport::Request& r) {
    if (!r.dump && exact++ == 0) {
      return Datagrams{
          DiagBuilder(r.seq + 1000, FakeTransport::kPortId).Error(0).bytes()};
    }
    return Respond(r);
  });
  SockDiagCollector collector(&odd, Options({}, 256));
  ASSERT_TRUE(collector.Collect(sink, &stats).ok());
  EXPECT_EQ(stats.Of(DumpProblem::kForeign), 1u);
  EXPECT_EQ(stats.attempts, 2u);
  ASSERT_EQ(sink.records.size(), 3u);
  EXPECT_TRUE(Cookie(1)->has_tcp_info);
  EXPECT_TRUE(Cookie(2)->has_tcp_info);
}
}  // namespace
}  // namespace sockwatch
