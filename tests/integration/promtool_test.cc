// The exposition passes Prometheus's own linter without a single warning.

#include "gtest/gtest.h"
#include "mix_fixture.h"

namespace sockwatch::it {
namespace {

TEST_F(MixTest, PromtoolCheckMetricsIsSilent) {
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = 9980;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  std::string error, body;
  ASSERT_TRUE(daemon_->Scrape(&error, &body)) << error;
  TempDir dir;
  const std::string file = dir.Write("scrape.txt", body);
  ASSERT_FALSE(file.empty());

  const CommandResult check =
      RunCommand({"promtool", "check", "metrics"}, milliseconds(30000), file);
  ASSERT_EQ(check.spawn_error, "");
  EXPECT_TRUE(check.status.Ok()) << check.status.ToString();
  EXPECT_EQ(check.out, "");
  EXPECT_EQ(check.err, "");
}

}  // namespace
}  // namespace sockwatch::it
