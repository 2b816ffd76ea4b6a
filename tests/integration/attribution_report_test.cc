// `sockwatch report` run once inside a namespace with a small known set of
// leaks: its JSON is compared field by field with what the test built (and
// with ss and /proc), its table must carry the same numbers, and
// `--state established --top 1` must name the one biggest holder.

#include <unistd.h>

#include <sstream>

#include "attribution_support.h"
#include "gtest/gtest.h"

namespace sockwatch::it {
namespace {

constexpr uint16_t kPortIn = 7401;   // swt_rlk1 listens: inbound leaks
constexpr uint16_t kPortOut = 7402;  // swt_rsrv listens: swt_rlk2 leaks
constexpr uint16_t kPortEst = 7403;  // swt_rsrv listens: established only
constexpr int kMaxFds1 = 512;
constexpr int kMaxFds2 = 256;
constexpr milliseconds kBudget(60000);

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// {"<key>": sockets} from an array of {"<key>":..,"sockets":n}.
std::map<std::string, double> CountsOf(const Json& array,
                                       const std::string& key) {
  std::map<std::string, double> out;
  for (const Json& item : array.Items()) {
    out[item[key].String("?")] += item["sockets"].Number();
  }
  return out;
}

// The line of `table` whose first word is `word`, split into words.
std::vector<std::string> RowOf(const std::string& table,
                               const std::string& word) {
  std::istringstream lines(table);
  std::string line;
  for (int i = 0; i < 10000 && std::getline(lines, line); ++i) {
    std::istringstream fields(line);
    std::vector<std::string> words;
    std::string w;
    while (words.size() < 64 && fields >> w) words.push_back(w);
    if (!words.empty() && words[0] == word) return words;
  }
  return {};
}

class ReportTest : public AttributionTest {
 protected:
  CommandResult Report(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SockwatchBinary(), "report"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, kBudget);
  }
};

TEST_F(ReportTest, JsonAndTableNameEveryHolderExactly) {
  Agent* rlk1 = NewAgent("swt_rlk1", kMaxFds1);
  Agent* rlk2 = NewAgent("swt_rlk2", kMaxFds2);
  Agent* rcli = NewAgent("swt_rcli");
  Agent* rsrv = NewAgent("swt_rsrv");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(rlk1->Listen(kPortIn), "");
  ASSERT_EQ(rsrv->Listen(kPortOut), "");
  ASSERT_EQ(rsrv->Listen(kPortEst), "");
  std::vector<Leak> in(2), out(3);
  ASSERT_EQ(MakeInboundLeak(rlk1, rcli, kPortIn, 200, false, &in[0]), "");
  ASSERT_EQ(MakeInboundLeak(rlk1, rcli, kPortIn, 0, true, &in[1]), "");
  ASSERT_EQ(MakeOutboundLeak(rlk2, rsrv, kPortOut, 100, false, &out[0]), "");
  ASSERT_EQ(MakeOutboundLeak(rlk2, rsrv, kPortOut, 100, false, &out[1]), "");
  ASSERT_EQ(MakeOutboundLeak(rlk2, rsrv, kPortOut, 100, true, &out[2]), "");
  // Established: swt_rsrv 4, swt_rcli 3, swt_rlk1 1.
  for (Agent* client : {rcli, rcli, rcli, rlk1}) {
    AgentSocket a, b;
    ASSERT_EQ(MakeEstablished(rsrv, client, kPortEst, &a, &b), "");
  }
  std::string error;
  auto ss = SettledSsOwners(milliseconds(5000), &error);
  ASSERT_TRUE(ss) << error;
  const StateCounts host = HostStatesOf(*ss);

  const CommandResult run = Report({"--json"});
  ASSERT_TRUE(run.status.Ok()) << run.status.ToString() << "\n" << run.err;
  const double now = UnixSeconds(std::chrono::system_clock::now());
  auto report = Json::Parse(run.out, &error);
  ASSERT_TRUE(report) << error << "\n" << run.out;
  SCOPED_TRACE(run.out);
  EXPECT_EQ((*report)["state"].String(), "close_wait");
  EXPECT_EQ((*report)["sockets_sampled"].Number(), ss->size());
  for (const char* state : kStates) {
    const auto it = host.find(state);
    EXPECT_EQ((*report)["sockets"][state].Number(),
              it == host.end() ? 0 : it->second)
        << state;
  }

  const auto& holders = (*report)["processes"].Items();
  ASSERT_EQ(holders.size(), 2u);
  struct Want {
    const Agent* agent;
    int max_fds;
    const std::vector<Leak>* leaks;
    std::map<std::string, double> peers;
    std::map<std::string, double> closed_by;
  };
  const std::string rsrv_id = "swt_rsrv/" + std::to_string(rsrv->pid());
  const std::string rcli_id = "swt_rcli/" + std::to_string(rcli->pid());
  const Want wants[] = {
      // Largest first: three outbound leaks, all to one server.
      {rlk2,
       kMaxFds2,
       &out,
       {{Loopback(kPortOut), 3}},
       {{rsrv_id, 2}, {"orphan", 1}}},
      {rlk1,
       kMaxFds1,
       &in,
       {{Loopback(in[0].holder.remote_port), 1},
        {Loopback(in[1].holder.remote_port), 1}},
       {{rcli_id, 1}, {"orphan", 1}}},
  };
  for (size_t i = 0; i < 2; ++i) {
    const Want& want = wants[i];
    const Json& got = holders[i];
    SCOPED_TRACE(want.agent->name());
    for (const char* key :
         {"pid", "process", "exe", "unit", "open_fds", "max_fds", "sockets",
          "oldest_seconds", "recv_queue_bytes", "peers", "closed_first_by"}) {
      EXPECT_TRUE(got.Has(key)) << key;
    }
    EXPECT_EQ(got["pid"].Number(), want.agent->pid());
    EXPECT_EQ(got["process"].String(), want.agent->name());
    EXPECT_EQ(got["exe"].String(), ExeName(getpid()));
    EXPECT_EQ(got["unit"].String(), ExpectedUnit(want.agent->pid()));
    EXPECT_EQ(got["open_fds"].Number(), FdCount(want.agent->pid()));
    EXPECT_EQ(got["max_fds"].Number(), want.max_fds);
    EXPECT_EQ(got["sockets"].Number(), want.leaks->size());
    double bytes = 0;
    for (const Leak& leak : *want.leaks) bytes += leak.bytes + 1;
    EXPECT_EQ(got["recv_queue_bytes"].Number(), bytes);
    const double fin = UnixSeconds(want.leaks->front().fin_seen);
    EXPECT_NEAR(got["oldest_seconds"].Number(), now - fin, 2.0);
    EXPECT_EQ(CountsOf(got["peers"], "remote"), want.peers);
    EXPECT_EQ(CountsOf(got["closed_first_by"], "process"), want.closed_by);
  }

  // The table carries the same numbers.
  const CommandResult table = Report({});
  ASSERT_TRUE(table.status.Ok()) << table.status.ToString() << table.err;
  SCOPED_TRACE(table.out);
  EXPECT_EQ(table.out.rfind("CLOSE_WAIT sockets by process (5 in all)\n", 0),
            0u);
  const auto row2 = RowOf(table.out, "swt_rlk2");
  ASSERT_GE(row2.size(), 6u);
  EXPECT_EQ(row2[1], std::to_string(rlk2->pid()));
  EXPECT_EQ(row2[2], ExpectedUnit(rlk2->pid()));
  EXPECT_EQ(row2[3], "3");
  EXPECT_EQ(row2[5], std::to_string(FdCount(rlk2->pid())) + "/256");
  EXPECT_NE(table.out.find(Loopback(kPortOut) + " (3)"), std::string::npos);
  EXPECT_NE(table.out.find(rsrv_id + " (2), orphan (1)"), std::string::npos);
  const auto row1 = RowOf(table.out, "swt_rlk1");
  ASSERT_GE(row1.size(), 6u);
  EXPECT_EQ(row1[3], "2");
  EXPECT_EQ(row1[5], std::to_string(FdCount(rlk1->pid())) + "/512");
  for (const char* state : {"close_wait", "established", "listen"}) {
    const auto row = RowOf(table.out, state);
    ASSERT_GE(row.size(), 2u) << state;
    EXPECT_EQ(row[1], std::to_string(host.at(state))) << state;
  }

  // Another state, capped at one process.
  const CommandResult est =
      Report({"--json", "--state", "established", "--top", "1"});
  ASSERT_TRUE(est.status.Ok()) << est.status.ToString() << est.err;
  auto est_json = Json::Parse(est.out, &error);
  ASSERT_TRUE(est_json) << error << "\n" << est.out;
  EXPECT_EQ((*est_json)["state"].String(), "established");
  ASSERT_EQ((*est_json)["processes"].Items().size(), 1u) << est.out;
  const Json& top = (*est_json)["processes"].Items()[0];
  EXPECT_EQ(top["process"].String(), "swt_rsrv");
  EXPECT_EQ(top["unit"].String(), ExpectedUnit(rsrv->pid()));
  EXPECT_EQ(top["sockets"].Number(), 4);
  const CommandResult est_table = Report({"--state=established", "--top=1"});
  ASSERT_TRUE(est_table.status.Ok()) << est_table.err;
  const auto est_row = RowOf(est_table.out, "swt_rsrv");
  ASSERT_EQ(est_row.size(), 3u) << est_table.out;
  EXPECT_EQ(est_row[2], "4");
  EXPECT_TRUE(RowOf(est_table.out, "swt_rcli").empty()) << est_table.out;
}

}  // namespace
}  // namespace sockwatch::it
