// Alerting rules for CLOSE_WAIT leaks (the `rules:` list of the config) and
// where alerts are sent (`alerting:`).
//
// A rule groups the latest sample's sockets in one state by any of
// process, unit, port, direction (nothing: the host total), keeps the groups
// whose labels match, and raises an alert for each group where every
// condition holds: count_above, growth_above over a window, oldest_above,
// fd_usage_above. Rules are plain values; their regexes and templates are
// compiled when the config is loaded.
#ifndef SOCKWATCH_CONFIG_RULES_H_
#define SOCKWATCH_CONFIG_RULES_H_

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "collectors/tcp_state.h"
#include "config/alert_template.h"
#include "config/yaml_walker.h"

namespace sockwatch {

struct Matcher {
  std::string label;
  std::string pattern;  // fully anchored: "nginx" matches only "nginx"
  std::regex regex;
};

struct Rule {
  std::string name;
  TcpState state = kCloseWait;
  std::vector<std::string> by;  // in order; subset of the group labels
  std::vector<Matcher> match;
  std::optional<uint64_t> count_above;
  std::optional<uint64_t> growth_above;
  std::chrono::milliseconds window{0};
  std::optional<std::chrono::milliseconds> oldest_above;
  std::optional<double> fd_usage_above;  // open fds / soft limit
  std::chrono::milliseconds for_duration{0};
  std::chrono::milliseconds keep_firing_for{0};
  std::string severity = "warning";
  std::map<std::string, std::string> labels;
  std::map<std::string, AlertTemplate> annotations;
  std::map<std::string, std::string> annotation_sources;

  bool ByProcess() const;  // grouped by process and/or unit
  bool ByPort() const;     // grouped by port and/or direction
  bool ByNetns() const;    // grouped by network namespace

  // Where the rule was read, for errors found after the whole file is read.
  YAML::Mark mark;
  std::string key;
};

struct AlertingConfig {
  std::vector<std::string> alertmanagers;  // base URLs
  std::chrono::milliseconds resend_interval{std::chrono::minutes(1)};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

// Reads the `rules:` list.
void ParseRules(YamlWalker& w, const YAML::Node& node, const std::string& key,
                std::vector<Rule>* rules);
// Reads the `alerting:` mapping.
void ParseAlerting(YamlWalker& w, const YAML::Node& node,
                   const std::string& key, AlertingConfig* alerting);
// Checks what depends on other settings: windows against the sample
// interval, conditions that need attribution, netns groups that need
// `namespaces: all`.
void CheckRules(YamlWalker& w, const std::vector<Rule>& rules,
                std::chrono::milliseconds interval, bool attribution,
                bool namespaces_all);

// The rules used when the config has no `rules:` key (see the README). The
// growth window is 15 minutes or two sample intervals, whichever is longer,
// so the rules can fire at any interval.
std::vector<Rule> DefaultRules(
    std::chrono::milliseconds interval = std::chrono::seconds(15));

}  // namespace sockwatch

#endif  // SOCKWATCH_CONFIG_RULES_H_
