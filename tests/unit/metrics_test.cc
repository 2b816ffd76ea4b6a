#include "daemon/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sockwatch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Snapshot Sample() {
  Snapshot s;
  s.sockets_sampled = 5;
  s.sockets[kCloseWait] = 3;
  s.sockets[kListen] = 2;
  s.recv_queue_bytes[kCloseWait] = 101;
  PortSeries row;
  row.direction = Direction::kIn;
  row.port = 8080;
  row.sockets[kCloseWait] = 3;
  row.sockets[kListen] = 1;
  row.total = 4;
  PortSeries other;
  other.direction = Direction::kIn;
  other.port = -1;
  other.sockets[kListen] = 1;
  other.total = 1;
  s.ports = {row, other};
  s.ports_folded = 1;
  s.timestamp_seconds = 1700000000.5;
  return s;
}

TEST(Metrics, RendersTheSnapshot) {
  Metrics metrics;
  Snapshot s = Sample();
  std::string text = metrics.Render(&s);
  EXPECT_THAT(text,
              HasSubstr("sockwatch_tcp_sockets{state=\"close_wait\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("sockwatch_tcp_sockets{state=\"syn_sent\"} 0\n"));
  EXPECT_THAT(text,
              HasSubstr("sockwatch_tcp_sockets{state=\"bound_inactive\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("sockwatch_tcp_queue_bytes{queue=\"recv\","
                              "state=\"close_wait\"} 101\n"));
  EXPECT_THAT(text, Not(HasSubstr("state=\"listen\"} 0\nsockwatch_tcp_queue")));
  EXPECT_THAT(text, Not(HasSubstr("queue=\"recv\",state=\"listen\"")));
  EXPECT_THAT(text, HasSubstr("sockwatch_tcp_port_sockets{direction=\"in\","
                              "port=\"8080\",state=\"close_wait\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("sockwatch_tcp_port_sockets{direction=\"in\","
                              "port=\"other\",state=\"listen\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sockwatch_series_folded{view=\"port\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sockwatch_sockets_sampled 5\n"));
  EXPECT_THAT(text, HasSubstr("sockwatch_build_info{"));
  // 12 states x 2 port rows.
  size_t rows = 0;
  for (size_t at = 0;
       (at = text.find("sockwatch_tcp_port_sockets{", at)) != std::string::npos;
       ++at) {
    ++rows;
  }
  EXPECT_EQ(rows, 24u);
}

TEST(Metrics, BeforeTheFirstSampleOnlySelfMetrics) {
  Metrics metrics;
  std::string text = metrics.Render(nullptr);
  EXPECT_THAT(text, Not(HasSubstr("sockwatch_tcp_sockets")));
  EXPECT_THAT(
      text,
      HasSubstr(
          "sockwatch_sample_errors_total{reason=\"dump_interrupted\"} 0"));
}

TEST(Metrics, CountsSampleProblems) {
  Metrics metrics;
  CollectStats stats;
  stats.Count(DumpProblem::kDumpInterrupted);
  stats.Count(DumpProblem::kDumpInterrupted);
  stats.Count(DumpProblem::kTruncated);
  metrics.ObserveSample(0.25, stats);
  std::string text = metrics.Render(nullptr);
  EXPECT_THAT(
      text,
      HasSubstr(
          "sockwatch_sample_errors_total{reason=\"dump_interrupted\"} 2"));
  EXPECT_THAT(
      text, HasSubstr("sockwatch_sample_errors_total{reason=\"truncated\"} 1"));
  EXPECT_THAT(text, HasSubstr("sockwatch_sample_duration_seconds_count 1"));
  EXPECT_THAT(text, HasSubstr("sockwatch_sample_duration_seconds_sum 0.25"));
}

}  // namespace
}  // namespace sockwatch
