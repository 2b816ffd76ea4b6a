#include "daemon/process_aggregator.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

namespace sockwatch {
namespace {

ProcessInfo Proc(int pid, const char* comm, const char* unit, uint32_t fds,
                 uint64_t max) {
  ProcessInfo p;
  p.pid = pid;
  p.comm = comm;
  p.unit = unit;
  p.open_fds = fds;
  p.max_fds = max;
  return p;
}

// nginx (two workers), redis, and a client that keeps FIN_WAIT2 sockets.
ProcessTable Table() {
  ProcessTable t;
  t.processes = {Proc(100, "nginx", "nginx.service", 50, 1024),
                 Proc(101, "nginx", "nginx.service", 900, 1024),
                 Proc(200, "redis", "redis.service", 10, 4096),
                 Proc(300, "client", "-", 5, 1024)};
  t.owners = {SocketOwner::Of(10, 0, 3, false), SocketOwner::Of(11, 1, 4, true),
              SocketOwner::Of(12, 1, 5, false),
              SocketOwner::Of(20, 2, 6, false),
              SocketOwner::Of(30, 3, 7, false)};
  return t;
}

SocketRecord Sock(uint8_t state, uint32_t inode, uint16_t lport, uint16_t rport,
                  uint64_t cookie = 0) {
  SocketRecord r;
  r.family = AF_INET;
  r.state = state;
  r.inode = inode;
  r.local_port = lport;
  r.remote_port = rport;
  r.local_addr[0] = 127;
  r.remote_addr[0] = 127;
  r.cookie = cookie;
  return r;
}

const ProcessSeries* Row(const Snapshot& s, const std::string& process,
                         const std::string& unit) {
  for (const auto& r : s.processes) {
    if (r.process == process && r.unit == unit) return &r;
  }
  return nullptr;
}

TEST(ProcessAggregator, CountsByNameAndUnitWithUnknown) {
  ProcessTable table = Table();
  CloseWaitTracker tracker;
  ProcessAggregator agg(&table, nullptr, &tracker, 1000);
  agg.OnSocket(Sock(kListen, 10, 80, 0));
  agg.OnSocket(Sock(kEstablished, 11, 80, 5000));
  agg.OnSocket(Sock(kEstablished, 12, 80, 5001));
  agg.OnSocket(Sock(kEstablished, 20, 6379, 5002));
  agg.OnSocket(Sock(kTimeWait, 0, 80, 5003));  // minisocket: no inode
  agg.OnSocket(Sock(kEstablished, 99, 1, 2));  // owner gone
  Snapshot s;
  agg.Finish(30, &s);
  const ProcessSeries* nginx = Row(s, "nginx", "nginx.service");
  ASSERT_NE(nginx, nullptr);
  EXPECT_EQ(nginx->sockets[kListen], 1u);
  EXPECT_EQ(nginx->sockets[kEstablished], 2u);
  const ProcessSeries* unknown = Row(s, "unknown", "-");
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->sockets[kTimeWait], 1u);
  EXPECT_EQ(unknown->sockets[kEstablished], 1u);
  EXPECT_EQ(s.processes_folded, 0u);
  EXPECT_EQ(s.processes_info.size(), 4u);
}

TEST(ProcessAggregator, CloseWaitAgesFdsAndPairs) {
  ProcessTable table = Table();
  CloseWaitTracker tracker;
  ProcessAggregator agg(&table, nullptr, &tracker, 1000);
  SocketRecord cw1 = Sock(kCloseWait, 10, 80, 40000, 1);
  cw1.has_tcp_info = true;
  cw1.last_ack_recv_ms = 600000;  // FIN 10 minutes ago
  cw1.recv_queue = 101;
  SocketRecord cw2 = Sock(kCloseWait, 12, 80, 40001, 2);
  cw2.has_tcp_info = true;
  cw2.last_ack_recv_ms = 5000;
  // The client holds the other end of cw1 in FIN_WAIT2 (shutdown, no close).
  agg.OnSocket(Sock(kFinWait2, 30, 40000, 80));
  agg.OnSocket(cw1);
  agg.OnSocket(cw2);
  Snapshot s;
  s.timestamp_seconds = 1000;
  agg.Finish(30, &s);
  const ProcessSeries* nginx = Row(s, "nginx", "nginx.service");
  ASSERT_NE(nginx, nullptr);
  EXPECT_DOUBLE_EQ(nginx->oldest_close_wait_entered, 400);
  EXPECT_EQ(nginx->close_wait_recv_bytes, 101u);
  // The worker nearest its limit speaks for the row: 900/1024.
  EXPECT_EQ(nginx->fd_pid, 101);
  EXPECT_EQ(nginx->open_fds, 900u);
  EXPECT_EQ(nginx->max_fds, 1024u);
  ASSERT_EQ(s.close_wait.size(), 2u);
  EXPECT_TRUE(s.close_wait[0].paired);
  EXPECT_EQ(s.close_wait[0].peer_owner, 3);  // "client"
  EXPECT_EQ(s.close_wait[0].fd, 3);
  EXPECT_FALSE(s.close_wait[1].paired);
  EXPECT_EQ(s.close_wait[1].owner, 1);
  // Histogram: one at 600 s (bucket le=600), one at 5 s (le=10).
  EXPECT_EQ(s.close_wait_ages[0], 1u);
  EXPECT_EQ(s.close_wait_ages[4], 1u);
  EXPECT_DOUBLE_EQ(s.close_wait_age_sum, 605);
  EXPECT_EQ(tracker.tracked(), 2u);
}

TEST(ProcessAggregator, TopNFoldsIntoOtherAndSumsHold) {
  ProcessTable table;
  CloseWaitTracker tracker;
  for (int i = 0; i < 5; ++i) {
    table.processes.push_back(
        Proc(10 + i, ("p" + std::to_string(i)).c_str(), "-", 1, 10));
    table.owners.push_back(SocketOwner::Of(static_cast<uint32_t>(100 + i),
                                           static_cast<uint32_t>(i), 3));
  }
  ProcessAggregator agg(&table, nullptr, &tracker, 0);
  uint64_t total = 0;
  for (int i = 0; i < 5; ++i) {
    for (int n = 0; n <= i; ++n, ++total) {
      agg.OnSocket(Sock(kEstablished, 100 + i, 1000 + n, 80));
    }
  }
  agg.OnSocket(Sock(kTimeWait, 0, 1, 2));
  ++total;
  Snapshot s;
  agg.Finish(2, &s);
  EXPECT_EQ(s.processes_folded, 3u);
  ASSERT_EQ(s.processes.size(), 4u);  // p4, p3, unknown, other
  EXPECT_EQ(s.processes[0].process, "p4");
  EXPECT_EQ(s.processes[1].process, "p3");
  EXPECT_EQ(s.processes[2].process, "unknown");
  EXPECT_EQ(s.processes[3].process, "other");
  EXPECT_EQ(s.processes[3].sockets[kEstablished], 1u + 2 + 3);
  uint64_t sum = 0;
  for (const auto& row : s.processes) sum += row.total;
  EXPECT_EQ(sum, total);
}

TEST(ProcessAggregator, ResetStartsTheSampleOver) {
  ProcessTable table = Table();
  CloseWaitTracker tracker;
  ProcessAggregator agg(&table, nullptr, &tracker, 50);
  agg.OnSocket(Sock(kCloseWait, 10, 80, 1, 1));
  agg.Reset();
  agg.OnSocket(Sock(kEstablished, 10, 80, 1));
  Snapshot s;
  agg.Finish(30, &s);
  EXPECT_TRUE(s.close_wait.empty());
  EXPECT_EQ(tracker.tracked(), 0u);
  ASSERT_EQ(s.processes.size(), 1u);
  EXPECT_EQ(s.processes[0].sockets[kCloseWait], 0u);
}

}  // namespace
}  // namespace sockwatch
