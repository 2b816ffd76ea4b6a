// RuleEngine: evaluates the alerting rules after every sample.
//
// For each rule it groups the snapshot (see Rule), checks every condition
// per group, and moves each group's alert through the Prometheus states:
// inactive -> pending (conditions hold) -> firing (held for `for`) ->
// resolved (conditions stopped, and keep_firing_for has passed). Growth is
// measured against a ring of past group counts kept only as long as the
// rule's window, so memory is bounded by rules x groups x window/interval,
// independent of traffic. Thread-safe: the sampler thread evaluates, a
// reload may swap the rules meanwhile.
#ifndef SOCKWATCH_DAEMON_RULE_ENGINE_H_
#define SOCKWATCH_DAEMON_RULE_ENGINE_H_

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "config/rules.h"
#include "daemon/alert.h"
#include "daemon/snapshot.h"

namespace sockwatch {

// One group of a rule at one sample.
struct Group {
  std::map<std::string, std::string> labels;  // the rule's `by` labels
  std::string key;                            // labels joined, for lookups
  uint64_t count = 0;
  double oldest_seconds = 0;  // age of the oldest socket; 0 when unknown
  uint32_t open_fds = 0;
  uint64_t max_fds = 0;
  double fd_usage = 0;  // open_fds / max_fds of its neediest process
};

// The groups of `rule` in `snapshot` that pass its matchers.
std::vector<Group> RuleGroups(const Rule& rule, const Snapshot& snapshot);

class RuleEngine {
 public:
  explicit RuleEngine(std::vector<Rule> rules);

  // Replaces the rules; alerts and history of rules whose name is kept
  // survive.
  void SetRules(std::vector<Rule> rules);

  // Evaluates every rule against `snapshot` taken at `now`. Returns the
  // alerts that are pending or firing now, plus those resolved by this
  // evaluation (state kResolved, reported once).
  std::vector<Alert> Evaluate(const Snapshot& snapshot, double now);

  // Evaluations that could not be done (a rule needing per-process data on
  // a sample without it).
  uint64_t failures() const { return failures_; }

 private:
  struct History {
    double time;
    std::map<std::string, uint64_t> counts;  // group key -> count
  };
  struct RuleState {
    Rule rule;
    std::deque<History> history;          // oldest first, within the window
    std::map<std::string, Alert> alerts;  // group key -> active alert
  };

  void EvaluateRule(RuleState& rs, const Snapshot& snapshot, double now,
                    std::vector<Alert>* out);

  std::mutex mu_;
  std::vector<RuleState> rules_;
  std::vector<Alert> dropped_;  // firing alerts of removed rules
  std::atomic<uint64_t> failures_{0};
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_RULE_ENGINE_H_
