// Alert: one rule's alert for one group, as the rule engine keeps it and
// /alerts, /metrics and the notifier show it. A plain value.
#ifndef SOCKWATCH_DAEMON_ALERT_H_
#define SOCKWATCH_DAEMON_ALERT_H_

#include <map>
#include <string>
#include <vector>

namespace sockwatch {

enum class AlertState { kPending, kFiring, kResolved };
const char* AlertStateName(AlertState s);

struct Alert {
  std::string rule;
  std::map<std::string, std::string> labels;  // alertname, severity, group
  std::map<std::string, std::string> annotations;
  AlertState state = AlertState::kPending;
  double active_at = 0;          // Unix seconds the conditions first held
  double fired_at = 0;           // when it started firing; 0 while pending
  double last_true = 0;          // last evaluation where the conditions held
  double keep_firing_since = 0;  // first evaluation they stopped holding
  double resolved_at = 0;        // set once, in the evaluation that resolves it
  double value = 0;              // the group's count
};

// GET /alerts: {"status":"success","data":{"alerts":[...]}} in the shape of
// Prometheus's /api/v1/alerts.
std::string AlertsJson(const std::vector<Alert>& alerts);

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_ALERT_H_
