#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "daemon/flags.h"

namespace sockwatch {
namespace {

using ::testing::HasSubstr;

TEST(Config, DefaultsWithoutFile) {
  Config c;
  EXPECT_EQ(c.interval, std::chrono::seconds(15));
  EXPECT_EQ(c.listen_address, "127.0.0.1:9977");
  EXPECT_EQ(c.telemetry_path, "/metrics");
  EXPECT_EQ(c.port_top_n, 50u);
  EXPECT_TRUE(ParseConfig("", "empty.yml", &c).ok());
  EXPECT_EQ(c.port_top_n, 50u);
}

TEST(Config, ReadsEveryKey) {
  Config c;
  Status s = ParseConfig(
      "interval: 1m30s\n"
      "web:\n"
      "  listen_address: '[::1]:9100'\n"
      "  telemetry_path: /m\n"
      "log:\n"
      "  level: debug\n"
      "ports:\n"
      "  top_n: 7\n"
      "attribution: false\n"
      "processes: {top_n: 3}\n"
      "paths: {procfs: /host/proc, cgroupfs: /host/cgroup}\n",
      "full.yml", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.interval, std::chrono::seconds(90));
  EXPECT_EQ(c.listen_address, "[::1]:9100");
  EXPECT_EQ(c.telemetry_path, "/m");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.port_top_n, 7u);
  EXPECT_FALSE(c.attribution);
  EXPECT_EQ(c.process_top_n, 3u);
  EXPECT_EQ(c.procfs, "/host/proc");
  EXPECT_EQ(c.cgroupfs, "/host/cgroup");
}

struct BadCase {
  const char* yaml;
  const char* expected;  // file:line:col: key "...": ...
};

class ConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrors, NameFileLineColumnAndKey) {
  Config c;
  c.port_top_n = 42;
  Status s = ParseConfig(GetParam().yaml, "/etc/sw.yml", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(GetParam().expected));
  EXPECT_EQ(c.port_top_n, 42u) << "a failed load must not change the config";
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigErrors,
    ::testing::Values(
        BadCase{"interval: 5s\nbogus: 1\n",
                "/etc/sw.yml:2:1: key \"bogus\": unknown key"},
        BadCase{"ports:\n  top_n: 3\n  topn: 4\n",
                "/etc/sw.yml:3:3: key \"ports.topn\": unknown key"},
        BadCase{"interval: fast\n",
                "/etc/sw.yml:1:11: key \"interval\": invalid duration"},
        BadCase{"interval: 100ms\n",
                "/etc/sw.yml:1:11: key \"interval\": interval 100ms out of "
                "range"},
        BadCase{"ports:\n  top_n: 0\n",
                "/etc/sw.yml:2:10: key \"ports.top_n\": value 0 out of range"},
        BadCase{"ports:\n  top_n: -3\n",
                "/etc/sw.yml:2:10: key \"ports.top_n\": expected a whole "
                "number"},
        BadCase{"ports:\n  top_n: [1, 2]\n",
                "/etc/sw.yml:2:10: key \"ports.top_n\": expected a single "
                "value"},
        BadCase{"web: 12\n",
                "/etc/sw.yml:1:6: key \"web\": expected a mapping"},
        BadCase{"web:\n  listen_address: nohost\n",
                "/etc/sw.yml:2:19: key \"web.listen_address\": invalid "
                "address"},
        BadCase{"log:\n  level: loud\n",
                "/etc/sw.yml:2:10: key \"log.level\": invalid log level"},
        BadCase{"interval: [\n", "/etc/sw.yml:2:1: invalid YAML"},
        BadCase{"- 1\n- 2\n", "/etc/sw.yml:1:1: expected a mapping"},
        BadCase{"attribution: maybe\n",
                "/etc/sw.yml:1:14: key \"attribution\": expected true or "
                "false"},
        BadCase{"processes:\n  top_n: 10001\n",
                "/etc/sw.yml:2:10: key \"processes.top_n\": value 10001 out "
                "of range"},
        BadCase{"paths:\n  procfs: proc\n",
                "/etc/sw.yml:2:11: key \"paths.procfs\": expected an "
                "absolute path"}));

TEST(Config, LoadFileReportsUnreadableFile) {
  Config c;
  Status s = LoadConfigFile("/nonexistent/sockwatch.yml", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent/sockwatch.yml"));
}

TEST(Config, ListenAddresses) {
  EXPECT_TRUE(ParseListenAddress("127.0.0.1:9977"));
  EXPECT_TRUE(ParseListenAddress(":9977"));
  auto v6 = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->host, "::1");
  for (const char* bad : {"9977", "localhost:9977", "1.2.3.4:99999",
                          "1.2.3.4:", "[::1:9977", "1.2.3.4:x"}) {
    EXPECT_FALSE(ParseListenAddress(bad)) << bad;
  }
}

TEST(Flags, OverrideConfigAndAreChecked) {
  const char* argv[] = {"sockwatch", "--web.listen-address=127.0.0.1:9100",
                        "--log.level", "warn", "--config.file=/x.yml"};
  Flags flags;
  ASSERT_TRUE(ParseFlags(5, const_cast<char**>(argv), &flags).ok());
  EXPECT_EQ(flags.config_file, "/x.yml");
  Config c;
  c.listen_address = "127.0.0.1:1";
  ASSERT_TRUE(ApplyFlags(flags, &c).ok());
  EXPECT_EQ(c.listen_address, "127.0.0.1:9100");
  EXPECT_EQ(c.log_level, "warn");

  Flags bad;
  bad.log_level = "loud";
  Status s = ApplyFlags(bad, &c);
  EXPECT_THAT(s.message(), HasSubstr("--log.level"));
}

TEST(Flags, RejectsUnknownFlagsAndCommands) {
  const char* unknown[] = {"sockwatch", "--web.listen-adress=x"};
  Flags f1;
  EXPECT_FALSE(ParseFlags(2, const_cast<char**>(unknown), &f1).ok());
  const char* command[] = {"sockwatch", "frobnicate"};
  Flags f2;
  EXPECT_FALSE(ParseFlags(2, const_cast<char**>(command), &f2).ok());
  const char* report[] = {"sockwatch", "report", "--json"};
  Flags f3;
  ASSERT_TRUE(ParseFlags(3, const_cast<char**>(report), &f3).ok());
  EXPECT_EQ(f3.command, "report");
  EXPECT_TRUE(f3.json);
}

}  // namespace
}  // namespace sockwatch

namespace sockwatch {
namespace {

TEST(Config, ExampleFileLoadsAndEqualsTheDefaults) {
  Config loaded;
  loaded.port_top_n = 1;  // must be overwritten by the file
  Status s = LoadConfigFile(SOCKWATCH_EXAMPLE_CONFIG, &loaded);
  ASSERT_TRUE(s.ok()) << s.message();
  Config defaults;
  EXPECT_EQ(loaded.interval, defaults.interval);
  EXPECT_EQ(loaded.listen_address, defaults.listen_address);
  EXPECT_EQ(loaded.telemetry_path, defaults.telemetry_path);
  EXPECT_EQ(loaded.log_level, defaults.log_level);
  EXPECT_EQ(loaded.port_top_n, defaults.port_top_n);
  EXPECT_EQ(loaded.attribution, defaults.attribution);
  EXPECT_EQ(loaded.process_top_n, defaults.process_top_n);
  EXPECT_EQ(loaded.procfs, defaults.procfs);
  EXPECT_EQ(loaded.cgroupfs, defaults.cgroupfs);
  EXPECT_FALSE(loaded.rules_configured);
  ASSERT_EQ(loaded.rules.size(), 2u);  // the built-in rules
  EXPECT_EQ(loaded.rules[0].name, "CloseWaitLeak");
  EXPECT_TRUE(loaded.alerting.alertmanagers.empty());
  EXPECT_EQ(loaded.alerting.resend_interval, std::chrono::minutes(1));
}

TEST(Config, EmptyRulesTurnTheDefaultsOff) {
  Config c;
  ASSERT_TRUE(ParseConfig("rules: []\n", "r.yml", &c).ok());
  EXPECT_TRUE(c.rules_configured);
  EXPECT_TRUE(c.rules.empty());
}

}  // namespace
}  // namespace sockwatch
