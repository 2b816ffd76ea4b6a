#include "daemon/rule_engine.h"

#include <algorithm>

namespace sockwatch {
namespace {

std::string GroupKey(const std::map<std::string, std::string>& labels) {
  std::string key;
  for (const auto& [name, value] : labels) {
    key += name;
    key += '=';
    key += value;
    key += '\x1f';
  }
  return key;
}

bool Passes(const Rule& rule, const std::map<std::string, std::string>& l) {
  for (const Matcher& m : rule.match) {
    auto it = l.find(m.label);
    if (it == l.end() || !std::regex_match(it->second, m.regex)) return false;
  }
  return true;
}

void Merge(Group& into, uint64_t count, double oldest, uint32_t open_fds,
           uint64_t max_fds) {
  into.count += count;
  into.oldest_seconds = std::max(into.oldest_seconds, oldest);
  double usage = max_fds == 0 ? 0 : static_cast<double>(open_fds) / max_fds;
  if (max_fds != 0 && usage >= into.fd_usage) {
    into.fd_usage = usage;
    into.open_fds = open_fds;
    into.max_fds = max_fds;
  }
}

}  // namespace

std::vector<Group> RuleGroups(const Rule& rule, const Snapshot& s) {
  std::map<std::string, Group> groups;
  auto add = [&](std::map<std::string, std::string> labels, uint64_t count,
                 double oldest, uint32_t open_fds, uint64_t max_fds) {
    if (!Passes(rule, labels)) return;
    std::string key = GroupKey(labels);
    Group& g = groups[key];
    if (g.key.empty()) {
      g.key = key;
      g.labels = std::move(labels);
    }
    Merge(g, count, oldest, open_fds, max_fds);
  };
  if (rule.ByProcess()) {
    for (const ProcessSeries& row : s.all_processes) {
      std::map<std::string, std::string> labels;
      for (const std::string& by : rule.by) {
        labels[by] = by == "process" ? row.process
                     : by == "unit"  ? row.unit
                                     : row.netns;
      }
      double oldest =
          row.oldest_close_wait_entered > 0 && rule.state == kCloseWait
              ? s.timestamp_seconds - row.oldest_close_wait_entered
              : 0;
      add(std::move(labels), row.sockets[rule.state], oldest, row.open_fds,
          row.max_fds);
    }
  } else if (rule.ByNetns()) {
    std::vector<double> oldest(s.netns_labels.size(), 0);
    for (const CloseWaitSocket& cw : s.close_wait) {
      if (cw.netns < oldest.size()) {
        oldest[cw.netns] =
            std::max(oldest[cw.netns], s.timestamp_seconds - cw.entered);
      }
    }
    for (size_t i = 0; i < s.netns_labels.size(); ++i) {
      add({{"netns", s.netns_labels[i]}}, s.netns_counts[i][rule.state],
          rule.state == kCloseWait ? oldest[i] : 0, 0, 0);
    }
  } else if (rule.ByPort()) {
    for (const PortSeries& row : s.ports) {
      std::map<std::string, std::string> labels;
      for (const std::string& by : rule.by) {
        labels[by] = by == "direction"
                         ? (row.direction == Direction::kIn ? "in" : "out")
                         : (row.port < 0 ? "other" : std::to_string(row.port));
      }
      add(std::move(labels), row.sockets[rule.state], 0, 0, 0);
    }
  } else {
    double oldest = 0;
    for (const CloseWaitSocket& cw : s.close_wait) {
      oldest = std::max(oldest, s.timestamp_seconds - cw.entered);
    }
    add({}, s.sockets[rule.state], rule.state == kCloseWait ? oldest : 0, 0, 0);
  }
  std::vector<Group> out;
  for (auto& [key, g] : groups) out.push_back(std::move(g));
  return out;
}

RuleEngine::RuleEngine(std::vector<Rule> rules) { SetRules(std::move(rules)); }

void RuleEngine::SetRules(std::vector<Rule> rules) {
  std::lock_guard<std::mutex> lock(mu_);
  // Firing alerts of rules that are gone get resolved at the next
  // evaluation, so that Alertmanager hears about it.
  for (RuleState& old : rules_) {
    bool kept = std::any_of(rules.begin(), rules.end(), [&](const Rule& r) {
      return r.name == old.rule.name;
    });
    if (kept) continue;
    for (auto& [key, a] : old.alerts) {
      if (a.state == AlertState::kFiring) dropped_.push_back(a);
    }
  }
  std::vector<RuleState> next;
  for (Rule& rule : rules) {
    RuleState rs;
    for (RuleState& old : rules_) {
      if (old.rule.name == rule.name) {
        rs.history = std::move(old.history);
        rs.alerts = std::move(old.alerts);
      }
    }
    rs.rule = std::move(rule);
    next.push_back(std::move(rs));
  }
  rules_ = std::move(next);
}

std::vector<Alert> RuleEngine::Evaluate(const Snapshot& snapshot, double now) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Alert> out;
  for (Alert& a : dropped_) {
    a.state = AlertState::kResolved;
    a.resolved_at = now;
    out.push_back(std::move(a));
  }
  dropped_.clear();
  for (RuleState& rs : rules_) EvaluateRule(rs, snapshot, now, &out);
  return out;
}

void RuleEngine::EvaluateRule(RuleState& rs, const Snapshot& s, double now,
                              std::vector<Alert>* out) {
  const Rule& rule = rs.rule;
  if ((rule.ByProcess() || rule.oldest_above) && !s.attribution) {
    ++failures_;
    return;
  }
  std::vector<Group> groups = RuleGroups(rule, s);

  // History for growth: drop samples older than the window, add this one.
  const double window = rule.window.count() / 1000.0;
  if (rule.growth_above) {
    // Up to 1 s (10% of short windows) of slack: samples arrive a few ms
    // late, and a window as long as the interval must still see the
    // previous one.
    const double slack = std::min(1.0, window / 10);
    while (!rs.history.empty() &&
           rs.history.front().time < now - window - slack) {
      rs.history.pop_front();
    }
    History h{now, {}};
    for (const Group& g : groups) h.counts[g.key] = g.count;
    rs.history.push_back(std::move(h));
  }

  std::map<std::string, const Group*> holding;
  std::map<std::string, double> growth_of;
  for (const Group& g : groups) {
    double growth = 0;
    if (rule.growth_above) {
      const auto& oldest = rs.history.front().counts;
      auto it = oldest.find(g.key);
      growth = static_cast<double>(g.count) -
               (it == oldest.end() ? 0.0 : static_cast<double>(it->second));
    }
    bool ok = true;
    if (rule.count_above) ok &= g.count > *rule.count_above;
    if (rule.growth_above)
      ok &= growth > static_cast<double>(*rule.growth_above);
    if (rule.oldest_above) {
      ok &= g.oldest_seconds > rule.oldest_above->count() / 1000.0;
    }
    if (rule.fd_usage_above) ok &= g.fd_usage > *rule.fd_usage_above;
    if (ok) {
      holding[g.key] = &g;
      growth_of[g.key] = growth;
    }
  }

  const double for_s = rule.for_duration.count() / 1000.0;
  const double keep_s = rule.keep_firing_for.count() / 1000.0;
  for (const auto& [key, g] : holding) {
    auto [it, added] = rs.alerts.try_emplace(key);
    Alert& a = it->second;
    if (added) {
      a.rule = rule.name;
      a.labels = g->labels;
      for (const auto& [name, value] : rule.labels) a.labels[name] = value;
      a.labels["alertname"] = rule.name;
      a.labels["severity"] = rule.severity;
      a.active_at = now;
    }
    a.last_true = now;
    a.keep_firing_since = 0;
    a.value = static_cast<double>(g->count);
    if (a.state == AlertState::kPending && now - a.active_at >= for_s) {
      a.state = AlertState::kFiring;
      a.fired_at = now;
    }
    TemplateData data;
    data.labels = &a.labels;
    data.value = a.value;
    data.oldest = g->oldest_seconds;
    data.growth = growth_of[key];
    data.open_fds = g->open_fds;
    data.max_fds =
        g->max_fds == UINT64_MAX ? 0 : static_cast<double>(g->max_fds);
    data.fd_usage = g->fd_usage;
    for (const auto& [name, t] : rule.annotations) {
      a.annotations[name] = t.Render(data);
    }
  }
  for (auto it = rs.alerts.begin(); it != rs.alerts.end();) {
    Alert& a = it->second;
    bool holds = holding.count(it->first) > 0;
    if (!holds && a.state == AlertState::kFiring && keep_s > 0) {
      // keep_firing_for counts from the first evaluation without the
      // conditions, as in Prometheus.
      if (a.keep_firing_since == 0) a.keep_firing_since = now;
      holds = now - a.keep_firing_since < keep_s;
    }
    if (holds) {
      out->push_back(a);
      ++it;
      continue;
    }
    if (a.state == AlertState::kFiring) {
      a.state = AlertState::kResolved;
      a.resolved_at = now;
      out->push_back(a);
    }
    it = rs.alerts.erase(it);
  }
}

}  // namespace sockwatch
