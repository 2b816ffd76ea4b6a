#include "daemon/close_wait_tracker.h"

#include <gtest/gtest.h>

namespace sockwatch {
namespace {

TEST(CloseWaitTracker, DatesNewSocketsFromTcpInfoAndKeepsTheDate) {
  CloseWaitTracker t;
  t.BeginSample(1000.0);
  EXPECT_DOUBLE_EQ(t.Observe(1, 86400 * 1000), 1000.0 - 86400);
  EXPECT_DOUBLE_EQ(t.Observe(2, -1), 1000.0);  // no tcp_info: seen now
  t.EndSample();
  EXPECT_EQ(t.tracked(), 2u);

  // Later the peer's keepalive ACK resets tcp_info; the first date stays.
  t.BeginSample(1060.0);
  EXPECT_DOUBLE_EQ(t.Observe(1, 500), 1000.0 - 86400);
  EXPECT_DOUBLE_EQ(t.Observe(2, 500), 1000.0);
  t.EndSample();
}

TEST(CloseWaitTracker, ForgetsSocketsThatLeftCloseWait) {
  CloseWaitTracker t;
  t.BeginSample(10);
  t.Observe(1, 0);
  t.Observe(2, 0);
  t.EndSample();
  t.BeginSample(20);
  t.Observe(2, 0);
  t.EndSample();
  EXPECT_EQ(t.tracked(), 1u);
  // Socket 1 coming back (a reused cookie cannot, but a new socket can) is
  // dated afresh.
  t.BeginSample(30);
  EXPECT_DOUBLE_EQ(t.Observe(1, 1000), 29.0);
  t.EndSample();
}

TEST(CloseWaitTracker, AFailedSampleKeepsWhatWasKnown) {
  CloseWaitTracker t;
  t.BeginSample(10);
  t.Observe(7, 0);
  t.EndSample();
  t.BeginSample(20);
  t.Observe(8, 0);  // sample abandoned: no EndSample
  t.BeginSample(30);
  EXPECT_DOUBLE_EQ(t.Observe(7, 0), 10.0);
  t.EndSample();
  EXPECT_EQ(t.tracked(), 1u);
}

TEST(CloseWaitTracker, MemoryFollowsTheCurrentSockets) {
  CloseWaitTracker t;
  t.BeginSample(1);
  for (uint64_t c = 0; c < 100000; ++c) t.Observe(c, 0);
  t.EndSample();
  EXPECT_EQ(t.tracked(), 100000u);
  t.BeginSample(2);
  t.EndSample();
  EXPECT_EQ(t.tracked(), 0u);
}

}  // namespace
}  // namespace sockwatch
