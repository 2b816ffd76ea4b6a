// AlertTemplate: rendering of every variable and function, and the parse
// errors that make a typo a config error.
#include "config/alert_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace sockwatch::alert_template_test {
namespace {

using ::testing::HasSubstr;

std::string Render(const std::string& text, const TemplateData& data) {
  std::string error;
  auto t = AlertTemplate::Parse(text, &error);
  EXPECT_TRUE(t) << text << ": " << error;
  return t ? t->Render(data) : "<parse error>";
}

std::string ParseError(const std::string& text) {
  std::string error;
  auto t = AlertTemplate::Parse(text, &error);
  EXPECT_FALSE(t) << text << " parsed";
  return error;
}

TEST(AlertTemplateRender, LabelsAndNumbers) {
  const std::map<std::string, std::string> labels = {{"process", "nginx"},
                                                     {"unit", "web.service"}};
  TemplateData d;
  d.labels = &labels;
  d.value = 42;
  d.oldest = 601.5;
  d.growth = 3;
  d.open_fds = 950;
  d.max_fds = 1024;
  d.fd_usage = 950.0 / 1024;
  EXPECT_EQ(Render("{{ $labels.process }} ({{$labels.unit}}) has {{ $value }} "
                   "(+{{ $growth }}), {{ $open_fds }}/{{ $max_fds }} = "
                   "{{ $fd_usage }}, oldest {{ $oldest }}",
                   d),
            "nginx (web.service) has 42 (+3), 950/1024 = 0.9277, oldest 601.5");
  EXPECT_EQ(Render("no variables at all", d), "no variables at all");
  EXPECT_EQ(Render("", d), "");
  EXPECT_EQ(Render("{{ $labels.missing }}|", d), "|");
  EXPECT_EQ(Render("a }} b", d), "a }} b");
}

TEST(AlertTemplateRender, NoLabelsRendersLabelsEmpty) {
  TemplateData d;
  d.value = 1;
  EXPECT_EQ(Render("[{{ $labels.process }}] {{ $value }}", d), "[] 1");
}

TEST(AlertTemplateRender, NumbersFormat) {
  TemplateData d;
  const std::pair<double, const char*> cases[] = {
      {0, "0"},
      {7, "7"},
      {-2, "-2"},
      {0.25, "0.25"},
      {1e6, "1000000"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
  };
  for (const auto& [v, want] : cases) {
    d.value = v;
    EXPECT_EQ(Render("{{ $value }}", d), want) << v;
  }
}

TEST(AlertTemplateRender, HumanizeDurationBothSpellings) {
  TemplateData d;
  const std::pair<double, const char*> cases[] = {
      {0, "0s"},          {0.5, "0.5s"},          {1, "1s"},
      {59, "59s"},        {90, "1m 30s"},         {3600, "1h 0m 0s"},
      {3725, "1h 2m 5s"}, {90061, "1d 1h 1m 1s"}, {-90, "-1m 30s"},
  };
  for (const auto& [v, want] : cases) {
    d.oldest = v;
    EXPECT_EQ(Render("{{ humanizeDuration $oldest }}", d), want) << v;
    EXPECT_EQ(Render("{{ $oldest | humanizeDuration }}", d), want) << v;
  }
}

TEST(AlertTemplateRender, Humanize) {
  TemplateData d;
  const std::pair<double, const char*> cases[] = {
      {0, "0"},         {999, "999"},    {1000, "1k"},
      {1234, "1.234k"}, {1.5e6, "1.5M"}, {2e9, "2G"},
      {3e12, "3T"},     {4e15, "4000T"}, {0.5, "0.5"},
  };
  for (const auto& [v, want] : cases) {
    d.value = v;
    EXPECT_EQ(Render("{{ humanize $value }}", d), want) << v;
    EXPECT_EQ(Render("{{ $value | humanize }}", d), want) << v;
  }
}

TEST(AlertTemplateRender, ReusableAndIndependentOfData) {
  std::string error;
  auto t = AlertTemplate::Parse("{{ $value }}", &error);
  ASSERT_TRUE(t) << error;
  AlertTemplate copy = *t;
  TemplateData a, b;
  a.value = 1;
  b.value = 2;
  EXPECT_EQ(t->Render(a), "1");
  EXPECT_EQ(copy.Render(b), "2");
  EXPECT_EQ(t->Render(a), "1");
}

TEST(AlertTemplateParse, Errors) {
  EXPECT_EQ(ParseError("{{ $value "), "template: unclosed {{");
  EXPECT_EQ(ParseError("ok {{ $value }} then {{ $oldest"),
            "template: unclosed {{");
  EXPECT_THAT(ParseError("{{ $nope }}"),
              HasSubstr("template: unknown variable $nope"));
  EXPECT_THAT(ParseError("{{ value }}"),
              HasSubstr("template: unknown variable value"));
  EXPECT_THAT(ParseError("{{ $labels. }}"),
              HasSubstr("unknown variable $labels."));
  EXPECT_THAT(ParseError("{{ }}"), HasSubstr("template: cannot read {{ }}"));
  EXPECT_THAT(ParseError("{{ humanizeDuration }}"),
              HasSubstr("unknown variable humanizeDuration"));
  EXPECT_THAT(ParseError("{{ printf $value }}"),
              HasSubstr("template: cannot read {{ printf $value }}"));
  EXPECT_THAT(ParseError("{{ $value | title }}"),
              HasSubstr("template: cannot read"));
  EXPECT_THAT(ParseError("{{ $value humanize }}"),
              HasSubstr("template: cannot read"));
  EXPECT_THAT(ParseError("{{ humanize $value $oldest }}"),
              HasSubstr("template: cannot read"));
  EXPECT_EQ(ParseError("{{ humanize $labels.process }}"),
            "template: $labels.process is not a number");
  EXPECT_EQ(ParseError("{{ $labels.unit | humanizeDuration }}"),
            "template: $labels.unit is not a number");
}

}  // namespace
}  // namespace sockwatch::alert_template_test
