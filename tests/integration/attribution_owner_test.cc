// Who holds the leak, against the real kernel: named processes (agents) hold
// known CLOSE_WAIT sockets; the daemon's per-process metrics and /sockets
// rows are checked against what the test built, against `ss -tanpe` and
// against /proc. Then a holder is killed while the daemon runs.

#include "attribution_support.h"
#include "gtest/gtest.h"

namespace sockwatch::it {
namespace {

constexpr uint16_t kPortA = 7101;     // swt_leakA listens
constexpr uint16_t kPortB = 7102;     // swt_leakB listens
constexpr uint16_t kPortGood = 7103;  // swt_good listens
constexpr int kMaxFdsA = 512;
constexpr int kMaxFdsB = 640;

// Two leaking servers, their clients (one half-closes and keeps its fds,
// one close()s), and a server that closes properly.
struct Scene {
  Agent* leak_a = nullptr;
  Agent* leak_b = nullptr;
  Agent* cli1 = nullptr;  // shutdown(SHUT_WR), keeps its fds
  Agent* cli2 = nullptr;  // close(): its ends become orphans
  Agent* good = nullptr;
  std::vector<Leak> a, b;
};

class OwnerTest : public AttributionTest {
 protected:
  void Build(Scene* s) {
    s->leak_a = NewAgent("swt_leakA", kMaxFdsA);
    s->leak_b = NewAgent("swt_leakB", kMaxFdsB);
    s->cli1 = NewAgent("swt_cli1");
    s->cli2 = NewAgent("swt_cli2");
    s->good = NewAgent("swt_good");
    ASSERT_FALSE(HasFailure());
    ASSERT_EQ(s->leak_a->Listen(kPortA), "");
    ASSERT_EQ(s->leak_b->Listen(kPortB), "");
    ASSERT_EQ(s->good->Listen(kPortGood), "");
    struct Plan {
      Agent* server;
      uint16_t port;
      Agent* client;
      size_t bytes;
      bool closes;
      std::vector<Leak>* into;
    };
    const Plan plans[] = {
        {s->leak_a, kPortA, s->cli1, 1000, false, &s->a},
        {s->leak_a, kPortA, s->cli1, 2000, false, &s->a},
        {s->leak_a, kPortA, s->cli2, 300, true, &s->a},
        {s->leak_b, kPortB, s->cli1, 50, false, &s->b},
        {s->leak_b, kPortB, s->cli2, 0, true, &s->b},
    };
    for (const Plan& p : plans) {
      Leak leak;
      ASSERT_EQ(
          MakeInboundLeak(p.server, p.client, p.port, p.bytes, p.closes, &leak),
          "");
      p.into->push_back(leak);
    }
    for (int i = 0; i < 2; ++i) {
      AgentSocket server_end, client_end;
      ASSERT_EQ(MakeEstablished(s->good, s->cli1, kPortGood, &server_end,
                                &client_end),
                "");
    }
    ASSERT_EQ(MakeProperlyClosed(s->good, s->cli2, kPortGood), "");
    ASSERT_NO_FATAL_FAILURE(Settle());
  }

  // A sample taken after `after` (Unix seconds) with no HTTP connection of
  // the test open, within 8 samples.
  std::optional<Exposition> CleanScrapeAfter(double after) {
    std::string error;
    bool ok = false;
    const uint16_t port = daemon_->port();
    auto scrape = daemon_->ScrapeUntil(
        [&](const Exposition& e) {
          return SampleTimestamp(e) > after && OnlyListenerOn(e, port);
        },
        8, &ok, &error);
    if (!scrape || !ok) {
      ADD_FAILURE() << "no clean sample after " << after << ": " << error;
      return std::nullopt;
    }
    return scrape;
  }
};

double WallNow() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The ss row of the connection local:remote.
const SsOwnedRow* FindRow(const std::vector<SsOwnedRow>& rows,
                          const std::string& local, const std::string& peer) {
  for (const SsOwnedRow& r : rows) {
    if (r.row.local == local && r.row.peer == peer) return &r;
  }
  return nullptr;
}

// One /sockets row against the leak it must describe.
void ExpectLeakRow(const Json& row, const Leak& leak, const Agent& holder,
                   const Agent& closer, const std::vector<SsOwnedRow>& ss) {
  const std::string local = Loopback(leak.holder.local_port);
  const std::string remote = Loopback(leak.holder.remote_port);
  SCOPED_TRACE(local + " <- " + remote + ": " + row.Dump());
  ExpectSocketRowKeys(row);
  EXPECT_EQ(row["pid"].Number(), holder.pid());
  EXPECT_EQ(row["process"].String(), holder.name());
  EXPECT_EQ(row["unit"].String(), ExpectedUnit(holder.pid()));
  EXPECT_EQ(row["fd"].Number(), leak.holder.fd);
  EXPECT_EQ(row["shared"].Bool(true), false);
  EXPECT_EQ(row["local"].String(), local);
  EXPECT_EQ(row["remote"].String(), remote);
  EXPECT_EQ(row["state"].String(), "close_wait");
  EXPECT_EQ(row["recv_queue"].Number(), leak.bytes + 1);  // + the FIN
  EXPECT_EQ(row["send_queue"].Number(), 0);
  EXPECT_GE(row["age_seconds"].Number(), 0);
  EXPECT_LT(row["age_seconds"].Number(), 30);
  EXPECT_EQ(row["peer_on_host"].Bool(false), true);
  if (leak.closer_closed) {
    EXPECT_TRUE(row["peer"].IsNull()) << "the closer close()d: an orphan";
  } else {
    EXPECT_EQ(row["peer"]["pid"].Number(), closer.pid());
    EXPECT_EQ(row["peer"]["process"].String(), closer.name());
    EXPECT_EQ(row["peer"]["unit"].String(), ExpectedUnit(closer.pid()));
  }
  // The fd really is that connection's socket.
  const SsOwnedRow* ss_row = FindRow(ss, local, remote);
  ASSERT_NE(ss_row, nullptr);
  EXPECT_EQ(FdTarget(holder.pid(), leak.holder.fd),
            "socket:[" + std::to_string(ss_row->inode) + "]");
}

TEST_F(OwnerTest, PerProcessCountsFdsAndRowsAreExact) {
  Scene s;
  ASSERT_NO_FATAL_FAILURE(Build(&s));
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = 9961;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  auto scrape = CleanScrape();
  ASSERT_TRUE(scrape);
  std::string error;
  auto ss = SettledSsOwners(milliseconds(5000), &error);
  ASSERT_TRUE(ss) << error;

  const ProcessStates want = {
      {"swt_leakA", {{"listen", 1}, {"close_wait", 3}}},
      {"swt_leakB", {{"listen", 1}, {"close_wait", 2}}},
      {"swt_cli1", {{"fin_wait2", 3}, {"established", 2}}},
      {"swt_good", {{"listen", 1}, {"established", 2}}},
      {"unknown", {{"fin_wait2", 2}, {"time_wait", 1}}},
      {"sockwatch", {{"listen", 1}}},
  };
  const ProcessStates got = ProcessStatesOf(*scrape);
  EXPECT_EQ(got, want) << "daemon:\n"
                       << Format(got) << "built:\n"
                       << Format(want);
  EXPECT_EQ(got, ProcessStatesOf(*ss)) << "ss -tanp:\n"
                                       << Format(ProcessStatesOf(*ss));
  ExpectProcessSumsMatchHost(*scrape);
  const StateCounts host = HostStatesOf(*ss);
  for (const char* state : kStates) {
    SCOPED_TRACE(state);
    const auto it = host.find(state);
    EXPECT_EQ(scrape->Value(kSocketsMetric, {{"state", state}}),
              it == host.end() ? 0 : it->second);
  }

  // Units come from each holder's own cgroup.
  for (const auto& agent : agents_) {
    for (const Sample& sample :
         scrape->Select(kProcessSockets, {{"process", agent->name()}})) {
      EXPECT_EQ(sample.labels.at("unit"), ExpectedUnit(agent->pid()))
          << agent->name();
    }
  }

  // fd usage only for the holders of CLOSE_WAIT, from their own fd table.
  for (const auto& [agent, max_fds] :
       {std::pair{s.leak_a, kMaxFdsA}, std::pair{s.leak_b, kMaxFdsB}}) {
    SCOPED_TRACE(agent->name());
    const Labels who = {{"process", agent->name()},
                        {"unit", ExpectedUnit(agent->pid())}};
    EXPECT_EQ(scrape->Value(kOpenFds, who), FdCount(agent->pid()));
    EXPECT_EQ(scrape->Value(kMaxFds, who), max_fds);
  }
  for (const char* name : {"swt_cli1", "swt_good", "unknown", "sockwatch"}) {
    EXPECT_TRUE(scrape->Select(kOpenFds, {{"process", name}}).empty()) << name;
    EXPECT_TRUE(scrape->Select(kMaxFds, {{"process", name}}).empty()) << name;
    EXPECT_TRUE(scrape->Select(kOldest, {{"process", name}}).empty()) << name;
  }
  EXPECT_EQ(scrape->Sum(kRecvBytes, {{"process", "swt_leakA"}}),
            1000 + 2000 + 300 + 3);
  EXPECT_EQ(scrape->Sum(kRecvBytes, {{"process", "swt_leakB"}}), 50 + 0 + 2);
  EXPECT_EQ(scrape->Select(kOldest).size(), 2u);

  // Per-socket rows.
  auto rows = GetJson("/sockets?state=close_wait&process=swt_leakA");
  ASSERT_TRUE(rows);
  EXPECT_EQ((*rows)["state"].String(), "close_wait");
  EXPECT_EQ((*rows)["total"].Number(), 3);
  EXPECT_EQ((*rows)["returned"].Number(), 3);
  ASSERT_EQ((*rows)["sockets"].Items().size(), 3u) << rows->Dump();
  double previous_age = 1e9;
  for (const Json& row : (*rows)["sockets"].Items()) {
    EXPECT_LE(row["age_seconds"].Number(), previous_age) << "oldest first";
    previous_age = row["age_seconds"].Number();
    const Leak* leak = nullptr;
    for (const Leak& l : s.a) {
      if (row["remote"].String() == Loopback(l.holder.remote_port)) leak = &l;
    }
    ASSERT_NE(leak, nullptr) << "no such leak: " << row.Dump();
    ExpectLeakRow(row, *leak, *s.leak_a,
                  leak->closer_closed ? *s.cli2 : *s.cli1, *ss);
  }
  auto b_rows = GetJson("/sockets?process=swt_leakB");
  ASSERT_TRUE(b_rows);
  ASSERT_EQ((*b_rows)["sockets"].Items().size(), 2u) << b_rows->Dump();
  for (const Json& row : (*b_rows)["sockets"].Items()) {
    const Leak& leak =
        row["remote"].String() == Loopback(s.b[0].holder.remote_port) ? s.b[0]
                                                                      : s.b[1];
    ExpectLeakRow(row, leak, *s.leak_b, leak.closer_closed ? *s.cli2 : *s.cli1,
                  *ss);
  }

  // Filters and limits over the same five sockets.
  const std::pair<std::string, std::pair<int, int>> queries[] = {
      {"/sockets", {5, 5}},
      {"/sockets?state=close_wait&limit=2", {5, 2}},
      {"/sockets?port=7102", {2, 2}},
      {"/sockets?port=" + std::to_string(s.a[1].holder.remote_port), {1, 1}},
      {"/sockets?process=swt_leakA&port=7102", {0, 0}},
      {"/sockets?process=swt_cli1", {0, 0}},
      {"/sockets?process=unknown", {0, 0}},
  };
  for (const auto& [target, counts] : queries) {
    SCOPED_TRACE(target);
    auto json = GetJson(target);
    ASSERT_TRUE(json);
    EXPECT_EQ((*json)["total"].Number(), counts.first) << json->Dump();
    EXPECT_EQ((*json)["returned"].Number(), counts.second);
    EXPECT_EQ((*json)["sockets"].Items().size(), size_t(counts.second));
  }
}

TEST_F(OwnerTest, TopNFoldsTheRestIntoOther) {
  Scene s;
  ASSERT_NO_FATAL_FAILURE(Build(&s));
  DaemonOptions options;
  options.config_yaml = FastConfig("processes:\n  top_n: 2\n");
  options.port = 9967;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  auto scrape = CleanScrape();
  ASSERT_TRUE(scrape);

  // By total: swt_cli1 5 and swt_leakA 4 stay; swt_leakB 3, swt_good 3 and
  // sockwatch 1 fold; "unknown" is never folded.
  const ProcessStates want = {
      {"swt_cli1", {{"fin_wait2", 3}, {"established", 2}}},
      {"swt_leakA", {{"listen", 1}, {"close_wait", 3}}},
      {"other", {{"listen", 3}, {"close_wait", 2}, {"established", 2}}},
      {"unknown", {{"fin_wait2", 2}, {"time_wait", 1}}},
  };
  const ProcessStates got = ProcessStatesOf(*scrape);
  EXPECT_EQ(got, want) << "daemon:\n" << Format(got);
  ExpectProcessSumsMatchHost(*scrape);
  EXPECT_EQ(scrape->Value("sockwatch_series_folded", {{"view", "process"}}), 3);
  EXPECT_EQ(scrape->Sum(kRecvBytes, {{"process", "other"}}), 50 + 0 + 2);
  EXPECT_EQ(scrape->Select(kOldest, {{"process", "other"}}).size(), 1u);
  EXPECT_TRUE(scrape->Select(kOldest, {{"process", "swt_leakB"}}).empty());
}

TEST_F(OwnerTest, KilledHolderDisappearsAtTheNextSample) {
  Scene s;
  ASSERT_NO_FATAL_FAILURE(Build(&s));
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = 9962;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  auto before = CleanScrape();
  ASSERT_TRUE(before);
  ASSERT_EQ(before->Sum(kProcessSockets, {{"process", "swt_leakB"}}), 3);

  const pid_t killed = s.leak_b->pid();
  s.leak_b->Kill();
  std::string error;
  auto ss = SettledSsOwners(milliseconds(5000), &error);
  ASSERT_TRUE(ss) << error;
  const double settled = WallNow();
  auto after = CleanScrapeAfter(settled);
  ASSERT_TRUE(after);

  EXPECT_EQ(after->Sum(kProcessSockets, {{"process", "swt_leakB"}}), 0);
  for (const char* metric : {kOldest, kOpenFds, kMaxFds, kRecvBytes}) {
    EXPECT_TRUE(after->Select(metric, {{"process", "swt_leakB"}}).empty())
        << metric << " still has a series for the killed pid " << killed;
  }
  const ProcessStates got = ProcessStatesOf(*after);
  EXPECT_EQ(got, ProcessStatesOf(*ss)) << "daemon:\n"
                                       << Format(got) << "ss -tanp:\n"
                                       << Format(ProcessStatesOf(*ss));
  EXPECT_EQ(got.count("swt_leakB"), 0u);
  EXPECT_EQ(got.at("swt_leakA"),
            (StateCounts{{"listen", 1}, {"close_wait", 3}}));
  EXPECT_EQ(after->Value(kSocketsMetric, {{"state", "close_wait"}}), 3);
  ExpectProcessSumsMatchHost(*after);
  EXPECT_EQ(after->Sum("sockwatch_sample_errors_total"), 0);
  auto rows = GetJson("/sockets?process=swt_leakB");
  ASSERT_TRUE(rows);
  EXPECT_EQ((*rows)["total"].Number(), 0) << rows->Dump();

  // Still serving, sample after sample.
  for (int i = 0; i < 2; ++i) {
    auto next = daemon_->ScrapeNewSample(SampleTimestamp(*after),
                                         milliseconds(10000), &error);
    ASSERT_TRUE(next) << error;
    ExpectProcessSumsMatchHost(*next);
    after = next;
  }
  EXPECT_TRUE(daemon_->process().Running());
  auto healthy = daemon_->Get("/-/healthy", &error);
  ASSERT_TRUE(healthy) << error;
  EXPECT_EQ(healthy->status, 200);
}

}  // namespace
}  // namespace sockwatch::it
