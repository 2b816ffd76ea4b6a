// Command-line surface: --version, --help, bad flags. No root needed: none of
// these samples anything or opens a port.

#include "daemon_runner.h"
#include "gtest/gtest.h"

namespace sockwatch::it {
namespace {

constexpr milliseconds kBudget(10000);

TEST(CliTest, VersionPrintsAVersionAndExitsZero) {
  const CommandResult run =
      RunCommand({SockwatchBinary(), "--version"}, kBudget);
  ASSERT_EQ(run.spawn_error, "");
  EXPECT_TRUE(run.status.Ok()) << run.status.ToString() << "\n" << run.err;
  EXPECT_NE(run.out.find("sockwatch"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find_first_of("0123456789"), std::string::npos)
      << "no version number in: " << run.out;
  EXPECT_LT(run.seconds, 3.0);
}

TEST(CliTest, HelpMentionsEveryFlagAndExitsZero) {
  const CommandResult run = RunCommand({SockwatchBinary(), "--help"}, kBudget);
  ASSERT_EQ(run.spawn_error, "");
  EXPECT_TRUE(run.status.Ok()) << run.status.ToString() << "\n" << run.err;
  for (const char* flag :
       {"--web.listen-address", "--web.telemetry-path", "--config.file",
        "--log.level", "--debug.record-dump", "--help", "--version"}) {
    EXPECT_NE(run.out.find(flag), std::string::npos)
        << "--help does not mention " << flag << ":\n"
        << run.out;
  }
}

TEST(CliTest, UnknownFlagAndBadValuesFailFast) {
  const std::vector<std::vector<std::string>> cases = {
      {"--no.such-flag"},      {"--log.level=loud"},
      {"--log.level", "loud"}, {"--web.telemetry-path=no-slash"},
      {"--config.file"},  // value missing (last argument)
  };
  for (const auto& args : cases) {
    SCOPED_TRACE(args[0]);
    // Never let it listen on the default port if it wrongly starts.
    std::vector<std::string> argv = {SockwatchBinary(),
                                     "--web.listen-address=127.0.0.1:1"};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult run = RunCommand(argv, kBudget);
    ASSERT_EQ(run.spawn_error, "");
    EXPECT_TRUE(run.status.exited && run.status.code != 0)
        << run.status.ToString();
    EXPECT_FALSE(run.err.empty()) << "no message on stderr";
    EXPECT_LT(run.seconds, 3.0);
  }
}

}  // namespace
}  // namespace sockwatch::it
