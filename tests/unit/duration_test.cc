#include "config/duration.h"

#include <gtest/gtest.h>

namespace sockwatch {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ParsesPrometheusSyntax) {
  EXPECT_EQ(ParseDuration("15s"), milliseconds(15000));
  EXPECT_EQ(ParseDuration("1m"), milliseconds(60000));
  EXPECT_EQ(ParseDuration("1m30s"), milliseconds(90000));
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("1h2m3s4ms"), milliseconds(3723004));
  EXPECT_EQ(ParseDuration("2d"), milliseconds(2LL * 86400000));
  EXPECT_EQ(ParseDuration("1w"), milliseconds(7LL * 86400000));
  EXPECT_EQ(ParseDuration("1y"), milliseconds(365LL * 86400000));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
  EXPECT_EQ(ParseDuration("0s"), milliseconds(0));
}

TEST(Duration, RejectsBadInput) {
  for (const char* bad : {"", "15", "s", "-5s", "1.5s", "5x", "1s1m", "1m1m",
                          "15 s", " 15s", "1ms1s", "99999999999999999999s"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST(Duration, FormatsShortest) {
  EXPECT_EQ(FormatDuration(milliseconds(90000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1s500ms");
  EXPECT_EQ(FormatDuration(milliseconds(3600000)), "1h");
}

}  // namespace
}  // namespace sockwatch
