#include "config/rules.h"

#include <algorithm>
#include <set>

#include "config/duration.h"

namespace sockwatch {
namespace {

constexpr const char* kGroupLabels[] = {"process", "unit", "port", "direction",
                                        "netns"};

bool IsGroupLabel(const std::string& s) {
  return std::find(std::begin(kGroupLabels), std::end(kGroupLabels), s) !=
         std::end(kGroupLabels);
}

bool ValidLabelName(const std::string& s) {
  if (s.empty() ||
      !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

Rule ParseRule(YamlWalker& w, const YAML::Node& node, const std::string& key) {
  Rule r;
  r.mark = node.Mark();
  r.key = key;
  bool has_window = false;
  YAML::Node match_node;
  w.Map(
      node, key,
      {{"name", [&](auto& n, auto& k) { r.name = w.String(n, k); }},
       {"state",
        [&](auto& n, auto& k) {
          std::string s = w.String(n, k);
          auto state = StateFromName(s);
          if (!state || *state == kNewSynRecv) {
            w.Fail(n, k, "unknown state \"" + s + "\"");
          } else {
            r.state = *state;
          }
        }},
       {"by",
        [&](auto& n, auto& k) {
          w.List(n, k, [&](auto& item, auto& ik) {
            std::string label = w.String(item, ik);
            if (!IsGroupLabel(label)) {
              w.Fail(item, ik,
                     "cannot group by \"" + label +
                         "\" (process, unit, port, direction)");
            } else if (std::count(r.by.begin(), r.by.end(), label)) {
              w.Fail(item, ik, "\"" + label + "\" listed twice");
            }
            r.by.push_back(label);
          });
        }},
       {"match", [&](auto& n, auto&) { match_node = n; }},
       {"count_above",
        [&](auto& n, auto& k) { r.count_above = w.Count(n, k, 0, 1u << 30); }},
       {"growth_above",
        [&](auto& n, auto& k) { r.growth_above = w.Count(n, k, 0, 1u << 30); }},
       {"window",
        [&](auto& n, auto& k) {
          r.window = w.Duration(n, k);
          has_window = true;
        }},
       {"oldest_above",
        [&](auto& n, auto& k) { r.oldest_above = w.Duration(n, k); }},
       {"fd_usage_above",
        [&](auto& n, auto& k) { r.fd_usage_above = w.Number(n, k, 0, 1); }},
       {"for", [&](auto& n, auto& k) { r.for_duration = w.Duration(n, k); }},
       {"keep_firing_for",
        [&](auto& n, auto& k) { r.keep_firing_for = w.Duration(n, k); }},
       {"severity", [&](auto& n, auto& k) { r.severity = w.String(n, k); }},
       {"labels",
        [&](auto& n, auto& k) {
          r.labels = w.StringMap(n, k);
          for (const auto& [name, value] : r.labels) {
            if (!ValidLabelName(name)) {
              w.Fail(n, k, "bad label name " + name);
            } else if (name == "alertname" || name == "severity" ||
                       name == "state" || IsGroupLabel(name)) {
              w.Fail(n, k,
                     "label \"" + name +
                         "\" is set by sockwatch (alertname, severity, "
                         "state and the group labels)");
            }
          }
        }},
       {"annotations", [&](auto& n, auto& k) {
          r.annotation_sources = w.StringMap(n, k);
          for (const auto& [name, text] : r.annotation_sources) {
            std::string error;
            auto t = AlertTemplate::Parse(text, &error);
            if (!t) {
              w.Fail(n[name], k + "." + name, error);
              return;
            }
            r.annotations.emplace(name, *t);
          }
        }}});
  if (!w.ok()) return r;
  if (r.name.empty()) w.Fail(node, key, "a rule needs a name");
  if (match_node && !match_node.IsNull() && !match_node.IsMap()) {
    w.Fail(match_node, key + ".match",
           "expected a mapping of labels to regular expressions");
    return r;
  }
  if (match_node && match_node.IsMap()) {
    for (const auto& item : match_node) {
      std::string label = item.first.Scalar();
      std::string mk = key + ".match." + label;
      if (std::find(r.by.begin(), r.by.end(), label) == r.by.end()) {
        w.Fail(item.first, mk, "can only match a label listed in by:");
        return r;
      }
      Matcher m{label, w.String(item.second, mk), {}};
      try {
        m.regex = std::regex(m.pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        w.Fail(item.second, mk,
               "invalid regular expression: " + std::string(e.what()));
        return r;
      }
      r.match.push_back(std::move(m));
    }
  }
  bool process = r.ByProcess();
  if (process && r.ByPort()) {
    w.Fail(node, key + ".by",
           "cannot mix process/unit with port/direction in one rule");
  } else if (r.ByNetns() && r.ByPort()) {
    w.Fail(node, key + ".by",
           "cannot mix netns with port/direction in one rule");
  } else if (!r.count_above && !r.growth_above && !r.oldest_above &&
             !r.fd_usage_above) {
    w.Fail(node, key,
           "a rule needs a condition: count_above, growth_above, "
           "oldest_above or fd_usage_above");
  } else if (r.growth_above && !has_window) {
    w.Fail(node, key + ".growth_above", "needs a window");
  } else if (has_window && !r.growth_above) {
    w.Fail(node, key + ".window", "only applies to growth_above");
  } else if (r.oldest_above && (r.state != kCloseWait || r.ByPort())) {
    w.Fail(node, key + ".oldest_above",
           "needs state close_wait and a grouping by process/unit or none");
  } else if (r.fd_usage_above &&
             std::find(r.by.begin(), r.by.end(), "process") == r.by.end()) {
    w.Fail(node, key + ".fd_usage_above", "needs by: [process, ...]");
  }
  return r;
}

}  // namespace

bool Rule::ByProcess() const {
  return std::count(by.begin(), by.end(), "process") +
             std::count(by.begin(), by.end(), "unit") >
         0;
}

bool Rule::ByNetns() const {
  return std::find(by.begin(), by.end(), "netns") != by.end();
}

bool Rule::ByPort() const {
  return std::count(by.begin(), by.end(), "port") +
             std::count(by.begin(), by.end(), "direction") >
         0;
}

void ParseRules(YamlWalker& w, const YAML::Node& node, const std::string& key,
                std::vector<Rule>* rules) {
  rules->clear();
  std::set<std::string> names;
  w.List(node, key, [&](const YAML::Node& item, const std::string& k) {
    Rule r = ParseRule(w, item, k);
    if (w.ok() && !names.insert(r.name).second) {
      w.Fail(item, k + ".name", "duplicate rule name \"" + r.name + "\"");
    }
    rules->push_back(std::move(r));
  });
}

void ParseAlerting(YamlWalker& w, const YAML::Node& node,
                   const std::string& key, AlertingConfig* alerting) {
  w.Map(
      node, key,
      {{"alertmanagers",
        [&](auto& n, auto& k) {
          alerting->alertmanagers.clear();
          w.List(n, k, [&](auto& item, auto& ik) {
            std::string url = w.String(item, ik);
            if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
              w.Fail(item, ik, "expected an http:// or https:// URL");
            }
            while (!url.empty() && url.back() == '/') url.pop_back();
            alerting->alertmanagers.push_back(url);
          });
        }},
       {"resend_interval",
        [&](auto& n, auto& k) {
          alerting->resend_interval = w.Duration(n, k);
          if (alerting->resend_interval < std::chrono::seconds(1)) {
            w.Fail(n, k, "must be at least 1s");
          }
        }},
       {"timeout", [&](auto& n, auto& k) {
          alerting->timeout = w.Duration(n, k);
          if (alerting->timeout < std::chrono::milliseconds(100)) {
            w.Fail(n, k, "must be at least 100ms");
          }
        }}});
}

void CheckRules(YamlWalker& w, const std::vector<Rule>& rules,
                std::chrono::milliseconds interval, bool attribution,
                bool namespaces_all) {
  for (const Rule& r : rules) {
    if (r.growth_above && r.window < interval) {
      w.FailAt(r.mark, r.key + ".window",
               "window " + FormatDuration(r.window) +
                   " is shorter than the sample interval " +
                   FormatDuration(interval));
    } else if (!attribution && (r.ByProcess() || r.oldest_above)) {
      w.FailAt(r.mark, r.key,
               "needs process attribution, which is switched off "
               "(attribution: false)");
    } else if (!namespaces_all && r.ByNetns()) {
      w.FailAt(r.mark, r.key, "grouping by netns needs namespaces: all");
    }
  }
}

std::vector<Rule> DefaultRules(std::chrono::milliseconds interval) {
  using namespace std::chrono_literals;
  std::string error;
  Rule leak;
  leak.name = "CloseWaitLeak";
  leak.by = {"process", "unit"};
  leak.oldest_above = 10min;
  leak.growth_above = 0;
  leak.window = std::max<std::chrono::milliseconds>(15min, 2 * interval);
  leak.for_duration = 5min;
  leak.severity = "warning";
  leak.annotation_sources = {
      {"summary",
       "{{ $labels.process }} ({{ $labels.unit }}) is leaking CLOSE_WAIT "
       "sockets"},
      {"description",
       "{{ $value }} sockets in CLOSE_WAIT, {{ $growth }} more than at the "
       "start of the growth window; the oldest has waited {{ humanizeDuration "
       "$oldest }} "
       "for the process to close it."}};
  Rule fds;
  fds.name = "CloseWaitFdExhaustion";
  fds.by = {"process", "unit"};
  fds.count_above = 0;
  fds.fd_usage_above = 0.9;
  fds.for_duration = 1min;
  fds.severity = "critical";
  fds.annotation_sources = {
      {"summary",
       "{{ $labels.process }} ({{ $labels.unit }}) is about to run out of "
       "file descriptors"},
      {"description",
       "{{ $open_fds }} of {{ $max_fds }} fds open while holding {{ $value }} "
       "CLOSE_WAIT sockets."}};
  std::vector<Rule> rules = {leak, fds};
  for (Rule& r : rules) {
    for (const auto& [name, text] : r.annotation_sources) {
      r.annotations.emplace(name, *AlertTemplate::Parse(text, &error));
    }
  }
  return rules;
}

}  // namespace sockwatch
