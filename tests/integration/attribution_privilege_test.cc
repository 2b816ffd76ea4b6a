// Attribution switched off, and attribution without the privilege to read
// other users' fd tables: counting must stay exact either way; what cannot
// be attributed is "unknown", said once in the log and always in a gauge.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "attribution_support.h"
#include "gtest/gtest.h"

namespace sockwatch::it {
namespace {

constexpr uint16_t kPort = 7601;
constexpr char kNobody[] = "65534";
constexpr char kUnreadableWarning[] = "cannot read the fd tables";

// One holder with two leaks (one closer kept its fd, one close()d) and one
// established pair.
struct Leaks {
  Agent* holder = nullptr;
  Agent* client = nullptr;
  std::vector<Leak> leaks;
};

class PrivilegeTest : public AttributionTest {
 protected:
  void Build(Leaks* l) {
    l->holder = NewAgent("swt_privA");
    l->client = NewAgent("swt_privC");
    ASSERT_FALSE(HasFailure());
    ASSERT_EQ(l->holder->Listen(kPort), "");
    l->leaks.resize(2);
    ASSERT_EQ(
        MakeInboundLeak(l->holder, l->client, kPort, 64, false, &l->leaks[0]),
        "");
    ASSERT_EQ(
        MakeInboundLeak(l->holder, l->client, kPort, 0, true, &l->leaks[1]),
        "");
    AgentSocket s, c;
    ASSERT_EQ(MakeEstablished(l->holder, l->client, kPort, &s, &c), "");
    ASSERT_NO_FATAL_FAILURE(Settle());
  }

  // Every state's host total equals ss.
  void ExpectHostCountsMatchSs(const Exposition& scrape,
                               const std::vector<SsOwnedRow>& ss) {
    const StateCounts host = HostStatesOf(ss);
    for (const char* state : kStates) {
      const auto it = host.find(state);
      EXPECT_EQ(scrape.Value(kSocketsMetric, {{"state", state}}),
                it == host.end() ? 0 : it->second)
          << state;
    }
  }
};

size_t CountLines(const std::string& text, const std::string& needle) {
  std::istringstream lines(text);
  std::string line;
  size_t n = 0;
  for (int i = 0; i < 100000 && std::getline(lines, line); ++i) {
    n += line.find(needle) != std::string::npos;
  }
  return n;
}

// The real user id of `pid` ("" when unreadable).
std::string RealUid(pid_t pid) {
  std::istringstream lines(
      ReadFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  for (int i = 0; i < 1000 && std::getline(lines, line); ++i) {
    if (line.rfind("Uid:", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    std::string uid;
    fields >> uid;
    return uid;
  }
  return "";
}

TEST_F(PrivilegeTest, AttributionOffLeavesCountsExactAndNoProcessSeries) {
  Leaks l;
  ASSERT_NO_FATAL_FAILURE(Build(&l));
  DaemonOptions options;
  options.config_yaml = FastConfig("attribution: false\n");
  options.port = 9965;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  auto scrape = CleanScrape();
  ASSERT_TRUE(scrape);
  std::string error;
  auto ss = SettledSsOwners(milliseconds(5000), &error);
  ASSERT_TRUE(ss) << error;

  for (const Sample& s : scrape->samples()) {
    EXPECT_NE(s.name.rfind("sockwatch_process_", 0), 0u) << s.name;
    EXPECT_NE(s.name.rfind("sockwatch_close_wait_", 0), 0u) << s.name;
    EXPECT_NE(s.name, kUnreadable);
  }
  EXPECT_TRUE(
      scrape->Select("sockwatch_series_folded", {{"view", "process"}}).empty());
  ExpectHostCountsMatchSs(*scrape, *ss);
  EXPECT_EQ(scrape->Value(kSocketsMetric, {{"state", "close_wait"}}), 2);
  EXPECT_EQ(scrape->Value("sockwatch_tcp_queue_bytes",
                          {{"state", "close_wait"}, {"queue", "recv"}}),
            64 + 1 + 0 + 1);

  // /sockets still lists CLOSE_WAIT (read live), naming no process.
  auto rows = GetJson("/sockets?state=close_wait");
  ASSERT_TRUE(rows);
  EXPECT_EQ((*rows)["total"].Number(), 2) << rows->Dump();
  for (const Json& row : (*rows)["sockets"].Items()) {
    ExpectSocketRowKeys(row);
    EXPECT_TRUE(row["pid"].IsNull()) << row.Dump();
    EXPECT_EQ(row["process"].String(), "unknown") << row.Dump();
  }

  // So does the report: no per-process part at all.
  const CommandResult run =
      RunCommand({SockwatchBinary(), "report", "--json",
                  "--config.file=" + daemon_->config_path()},
                 milliseconds(60000));
  ASSERT_TRUE(run.status.Ok()) << run.status.ToString() << run.err;
  auto report = Json::Parse(run.out, &error);
  ASSERT_TRUE(report) << error << "\n" << run.out;
  EXPECT_FALSE(report->Has("processes")) << run.out;
  EXPECT_EQ((*report)["sockets"]["close_wait"].Number(), 2) << run.out;
}

TEST_F(PrivilegeTest, UnprivilegedDaemonCountsOthersSocketsAsUnknown) {
  Leaks l;
  ASSERT_NO_FATAL_FAILURE(Build(&l));
  // nobody must be able to run the binary and read the config: both go to
  // a directory of our own, world-readable.
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  namespace fs = std::filesystem;
  const std::string binary = dir.File("sockwatch");
  std::error_code ec;
  fs::copy_file(SockwatchBinary(), binary, ec);
  ASSERT_FALSE(ec) << "copying " << SockwatchBinary() << ": " << ec.message();
  const std::string config = dir.Write("sockwatch.yml", FastConfig());
  ASSERT_FALSE(config.empty());
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(chmod(binary.c_str(), 0755), 0);
  ASSERT_EQ(chmod(config.c_str(), 0644), 0);

  DaemonOptions options;
  options.port = 9966;
  options.binary = binary;
  options.command_prefix = {"setpriv",
                            std::string("--reuid=") + kNobody,
                            std::string("--regid=") + kNobody,
                            "--clear-groups",
                            "--pdeathsig=KILL",  // set again after setuid
                            "--"};
  options.extra_args = {"--config.file=" + config};
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  ASSERT_EQ(RealUid(daemon_->process().pid()), kNobody);

  auto scrape = CleanScrape();
  ASSERT_TRUE(scrape);
  std::string error;
  auto ss = SettledSsOwners(milliseconds(5000), &error);
  ASSERT_TRUE(ss) << error;
  // Let a few more samples pass: the warning must not repeat.
  for (int i = 0; i < 3; ++i) {
    auto next = daemon_->ScrapeNewSample(SampleTimestamp(*scrape),
                                         milliseconds(10000), &error);
    ASSERT_TRUE(next) << error;
    scrape = next;
  }
  scrape = CleanScrape();
  ASSERT_TRUE(scrape);

  ExpectHostCountsMatchSs(*scrape, *ss);
  ExpectProcessSumsMatchHost(*scrape);
  // Only the daemon's own listener is attributed; root's sockets are not.
  StateCounts others = HostStatesOf(*ss);
  others["listen"] -= 1;
  const ProcessStates want = {{"sockwatch", {{"listen", 1}}},
                              {"unknown", NonZero(others)}};
  const ProcessStates got = ProcessStatesOf(*scrape);
  EXPECT_EQ(got, want) << "daemon:\n" << Format(got);
  EXPECT_GT(scrape->Value(kUnreadable).value_or(0), 0);
  EXPECT_GT(scrape
                ->Value("sockwatch_attribution_errors_total",
                        {{"reason", "permission"}})
                .value_or(0),
            0);
  EXPECT_TRUE(scrape->Select(kOpenFds).empty());
  EXPECT_EQ(scrape->Sum(kRecvBytes, {{"process", "unknown"}}), 64 + 1 + 0 + 1);

  auto rows = GetJson("/sockets?state=close_wait");
  ASSERT_TRUE(rows);
  EXPECT_EQ((*rows)["total"].Number(), 2) << rows->Dump();
  for (const Json& row : (*rows)["sockets"].Items()) {
    ExpectSocketRowKeys(row);
    EXPECT_TRUE(row["pid"].IsNull()) << row.Dump();
    EXPECT_TRUE(row["fd"].IsNull()) << row.Dump();
    EXPECT_EQ(row["process"].String(), "unknown") << row.Dump();
    EXPECT_EQ(row["peer_on_host"].Bool(false), true) << row.Dump();
  }

  EXPECT_TRUE(daemon_->process().Running());
  const std::string log = daemon_->process().Stderr();
  EXPECT_EQ(CountLines(log, kUnreadableWarning), 1u) << log;
}

}  // namespace
}  // namespace sockwatch::it
