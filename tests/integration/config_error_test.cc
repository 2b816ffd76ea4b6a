// Bad config files: the daemon must refuse them at once, name the file, the
// line and column and the key, and never get as far as binding its port.
// No root needed: these never sample anything.

#include <sys/socket.h>
#include <unistd.h>

#include "daemon_runner.h"
#include "gtest/gtest.h"
#include "loopback.h"

namespace sockwatch::it {
namespace {

struct BadConfig {
  const char* name;
  const char* yaml;
  int line;          // 1-based line of the offending key
  int key_column;    // 1-based column of the key
  int value_column;  // 1-based column of its value
  const char* key;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

class ConfigErrorTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrorTest, FailsFastWithFileLineColumnAndKey) {
  const BadConfig& bad = GetParam();
  TempDir dir;
  const std::string file = dir.Write("bad.yml", bad.yaml);
  ASSERT_FALSE(file.empty());
  // Hold a port and tell the daemon to listen there: a daemon that binds
  // before it validates the config fails with a bind error instead.
  std::string error;
  const int held = BoundSocket("127.0.0.1", 0, true, 0, &error);
  ASSERT_GE(held, 0) << error;
  ASSERT_EQ(listen(held, 1), 0);
  const std::string address = "127.0.0.1:" + std::to_string(LocalPort(held));

  const CommandResult run =
      RunCommand({SockwatchBinary(), "--config.file", file,
                  "--web.listen-address=" + address},
                 milliseconds(10000));
  close(held);
  ASSERT_EQ(run.spawn_error, "");
  EXPECT_FALSE(run.status.forced) << "still running after 10 s";
  EXPECT_TRUE(run.status.exited) << run.status.ToString();
  EXPECT_EQ(run.status.code, 1) << run.status.ToString();
  EXPECT_LT(run.seconds, 3.0);

  const std::string at = file + ":" + std::to_string(bad.line) + ":";
  const std::string at_key = at + std::to_string(bad.key_column) + ":";
  const std::string at_value = at + std::to_string(bad.value_column) + ":";
  EXPECT_TRUE(run.err.find(at_key) != std::string::npos ||
              run.err.find(at_value) != std::string::npos)
      << "stderr should contain " << at_key << " or " << at_value
      << ", it is:\n"
      << run.err;
  EXPECT_NE(run.err.find(bad.key), std::string::npos)
      << "stderr should name the key " << bad.key << ":\n"
      << run.err;
  EXPECT_EQ(run.err.find("in use"), std::string::npos) << run.err;
}

// Columns: key at the indentation, value after "key: ".
INSTANTIATE_TEST_SUITE_P(
    Config, ConfigErrorTest,
    ::testing::Values(
        BadConfig{"unknown_top_level_key",
                  "# comment line\ninterval: 2s\nintervall: 5s\n", 3, 1, 12,
                  "intervall"},
        BadConfig{"unknown_nested_key",
                  "interval: 2s\nweb:\n  telemetry_path: /metrics\n"
                  "  listen_adress: 127.0.0.1:1\n",
                  4, 3, 18, "listen_adress"},
        BadConfig{"wrong_type_scalar",
                  "log:\n  level: info\nports:\n  top_n: lots\n", 4, 3, 10,
                  "top_n"},
        BadConfig{"wrong_type_map", "interval: 2s\nweb: [a, b]\n", 2, 1, 6,
                  "web"},
        BadConfig{"invalid_duration", "\n\ninterval: abc\n", 3, 1, 11,
                  "interval"},
        BadConfig{"interval_below_minimum", "interval: 500ms\n", 1, 1, 11,
                  "interval"},
        BadConfig{"top_n_zero", "ports:\n  top_n: 0\n", 2, 3, 10, "top_n"},
        BadConfig{"top_n_too_large", "ports:\n  top_n: 10001\n", 2, 3, 10,
                  "top_n"},
        BadConfig{"bad_log_level", "log:\n  level: loud\n", 2, 3, 10, "level"}),
    [](const ::testing::TestParamInfo<BadConfig>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace sockwatch::it
