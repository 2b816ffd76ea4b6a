// sockwatch_tcp_queue_bytes against bytes the test wrote and ss's Recv-Q and
// Send-Q columns.

#include "gtest/gtest.h"
#include "mix_fixture.h"

namespace sockwatch::it {
namespace {

TEST_F(MixTest, QueueBytesMatchWrittenBytesAndSs) {
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = 9979;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  auto scrape = CleanScrape();
  ASSERT_TRUE(scrape);
  std::string error;
  auto ss = RunSs(&error);
  ASSERT_TRUE(ss) << error;
  ExpectMixStillValid();

  // The server never read what the clients wrote before half-closing. The
  // kernel's Recv-Q (rcv_nxt - copied_seq, what ss shows) also counts the
  // unread FIN as one byte per socket.
  const int64_t close_wait = mix_->ByState().at("close_wait");
  const uint64_t data = mix_->close_wait_data_bytes();
  const auto ss_recv = SsQueueBytes(*ss, true);
  const auto ss_send = SsQueueBytes(*ss, false);
  ASSERT_EQ(ss_recv.at("close_wait"), data + close_wait);
  EXPECT_EQ(
      scrape->Value(kQueueMetric, {{"state", "close_wait"}, {"queue", "recv"}}),
      static_cast<double>(data + close_wait))
      << data << " unread data bytes in " << close_wait
      << " CLOSE_WAIT sockets";

  // Every state and both queues equal ss's sums (LISTEN has no series: its
  // Recv-Q/Send-Q are backlog counts, not bytes).
  for (const char* state : kStates) {
    SCOPED_TRACE(state);
    const bool listen = std::string(state) == "listen";
    for (const char* queue : {"recv", "send"}) {
      auto value =
          scrape->Value(kQueueMetric, {{"state", state}, {"queue", queue}});
      if (listen) {
        EXPECT_FALSE(value) << "LISTEN must not have " << queue << " bytes";
        continue;
      }
      const auto& sums = std::string(queue) == "recv" ? ss_recv : ss_send;
      EXPECT_EQ(value.value_or(-1), static_cast<double>(sums.at(state)))
          << queue;
    }
  }
  // The filled windows hold real data: the test is not comparing zeros.
  EXPECT_GT(ss_send.at("fin_wait1"), 1000u);
  EXPECT_GT(ss_send.at("last_ack"), 1000u);
  EXPECT_GT(ss_recv.at("fin_wait2"), 1000u);
}

}  // namespace
}  // namespace sockwatch::it
