// Log formats: `--log.format json` lines are JSON objects with ts, level and
// msg; `--log.format logfmt` lines are `ts=... level=... msg="..."`; under
// journald (JOURNAL_STREAM set) lines start with the syslog priority (<6>
// info, <4> warn) and carry no timestamp; `--log.format bogus` exits 1
// naming the flag. Each daemon run logs an info start-up, a warn (a reload
// that changes the telemetry path, which needs a restart) and its shutdown.
#include <signal.h>

#include <regex>

#include "attribution_json.h"
#include "gtest/gtest.h"
#include "mix_fixture.h"
#include "service_support.h"

namespace sockwatch::it::service_log_test {
namespace {

constexpr uint16_t kPort = 9993;
const char kTimestamp[] = R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)";
const char kLevel[] = "(trace|debug|info|warn|error|critical)";
const char kQuoted[] = R"("(?:[^"\\]|\\.)*")";

std::string Config(const std::string& telemetry_path) {
  return FastConfig("web:\n  telemetry_path: " + telemetry_path + "\n");
}

// Runs the daemon the way systemd does: JOURNAL_STREAM names the device
// and inode of its stderr (the daemon checks they match).
std::vector<std::string> JournalPrefix() {
  return {"sh", "-c",
          "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) "
          "exec \"$0\" \"$@\""};
}

class ServiceLogTest : public NetnsTest {
 protected:
  // Runs the daemon with `args` (through `prefix`), makes it log a warning
  // by a SIGHUP reload that changes the telemetry path, stops it with
  // SIGTERM and returns its stderr lines.
  std::vector<std::string> RunAndLog(const std::vector<std::string>& args,
                                     const std::vector<std::string>& prefix) {
    DaemonOptions options;
    options.config_yaml = Config("/metrics");
    options.port = kPort;
    options.extra_args = args;
    options.command_prefix = prefix;
    StartDaemon(options);
    if (HasFatalFailure()) return {};
    EXPECT_EQ(ReplaceFile(daemon_->config_path(), Config("/metrics2")), "");
    EXPECT_EQ(kill(daemon_->process().pid(), SIGHUP), 0);
    const bool reloaded = WaitFor(milliseconds(5000), milliseconds(100), [&] {
      const std::string log = daemon_->process().Stderr();
      return log.find("reloaded") != std::string::npos &&
             log.find("after a restart") != std::string::npos;
    });
    EXPECT_TRUE(reloaded) << daemon_->process().Stderr();
    const ExitStatus exit = daemon_->process().Stop(milliseconds(3000));
    EXPECT_TRUE(exit.Ok()) << exit.ToString();
    std::vector<std::string> lines = Lines(daemon_->process().Stderr());
    EXPECT_GE(lines.size(), 4u) << daemon_->process().Stderr();
    return lines;
  }
};

// Counts of lines by level, for the "info and warn both seen" checks.
struct Levels {
  int info = 0;
  int warn = 0;
  void Add(const std::string& level) {
    info += level == "info";
    warn += level == "warn";
  }
};

TEST_F(ServiceLogTest, JsonLinesAreObjects) {
  const auto lines = RunAndLog({"--log.format", "json"}, {});
  const std::regex ts(kTimestamp);
  const std::regex level(kLevel);
  Levels seen;
  for (const std::string& line : lines) {
    std::string error;
    auto json = Json::Parse(line, &error);
    ASSERT_TRUE(json && json->IsObject()) << error << ": " << line;
    EXPECT_EQ(json->Members().size(), 3u) << line;
    EXPECT_TRUE(std::regex_match((*json)["ts"].String(), ts)) << line;
    EXPECT_TRUE(std::regex_match((*json)["level"].String(), level)) << line;
    EXPECT_TRUE((*json)["msg"].IsString()) << line;
    EXPECT_FALSE((*json)["msg"].String().empty()) << line;
    seen.Add((*json)["level"].String());
  }
  EXPECT_GT(seen.info, 0);
  EXPECT_GT(seen.warn, 0);
}

TEST_F(ServiceLogTest, LogfmtLines) {
  const auto lines =
      RunAndLog({"--log.format=logfmt"}, {"env", "-u", "JOURNAL_STREAM"});
  const std::regex form(std::string("ts=") + kTimestamp + " level=" + kLevel +
                        " msg=" + kQuoted);
  Levels seen;
  for (const std::string& line : lines) {
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, form)) << line;
    if (m.size() > 1) seen.Add(m[1]);
  }
  EXPECT_GT(seen.info, 0);
  EXPECT_GT(seen.warn, 0);
}

TEST_F(ServiceLogTest, JournalLinesHavePriorityAndNoTimestamp) {
  const auto lines = RunAndLog({}, JournalPrefix());
  const std::regex form(std::string("<([0-7])>level=") + kLevel +
                        " msg=" + kQuoted);
  Levels seen;
  for (const std::string& line : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, form)) << line;
    EXPECT_EQ(line.find("ts="), std::string::npos) << line;
    const std::string level = m[2];
    if (level == "info") {
      EXPECT_EQ(m[1], "6") << line;
    }
    if (level == "warn") {
      EXPECT_EQ(m[1], "4") << line;
    }
    seen.Add(level);
  }
  EXPECT_GT(seen.info, 0);
  EXPECT_GT(seen.warn, 0);
}

// An inherited JOURNAL_STREAM that is not our stderr (a parent's journal,
// while stderr goes to a file) does not switch to journal lines.
TEST_F(ServiceLogTest, ForeignJournalStreamIsIgnored) {
  const auto lines = RunAndLog({}, {"env", "JOURNAL_STREAM=8:1234"});
  for (const std::string& line : lines) {
    EXPECT_EQ(line.rfind("ts=", 0), 0u) << line;
  }
}

TEST_F(ServiceLogTest, JournalJsonHasNoTimestamp) {
  const auto lines = RunAndLog({"--log.format=json"}, JournalPrefix());
  for (const std::string& line : lines) {
    ASSERT_TRUE(line.rfind("<6>", 0) == 0 || line.rfind("<4>", 0) == 0 ||
                line.rfind("<7>", 0) == 0)
        << line;
    std::string error;
    auto json = Json::Parse(line.substr(3), &error);
    ASSERT_TRUE(json && json->IsObject()) << error << ": " << line;
    EXPECT_FALSE(json->Has("ts")) << line;
    EXPECT_TRUE(json->Has("level") && json->Has("msg")) << line;
  }
}

// Needs no root: the flag is refused before anything is bound or sampled.
TEST(ServiceLogFlagTest, BogusFormatExitsOne) {
  const CommandResult run = RunCommand(
      {SockwatchBinary(), "--log.format", "bogus"}, milliseconds(10000));
  ASSERT_EQ(run.spawn_error, "");
  EXPECT_TRUE(run.status.exited) << run.status.ToString();
  EXPECT_EQ(run.status.code, 1) << run.status.ToString() << "\n" << run.err;
  EXPECT_NE(run.err.find("log.format"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("bogus"), std::string::npos) << run.err;
  EXPECT_LT(run.seconds, 3.0);
}

}  // namespace
}  // namespace sockwatch::it::service_log_test
