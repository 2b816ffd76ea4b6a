#include "daemon/alert.h"

#include <spdlog/fmt/fmt.h>

#include "daemon/notifier.h"
#include "daemon/socket_format.h"

namespace sockwatch {
namespace {

std::string MapJson(const std::map<std::string, std::string>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) {
    if (out.size() > 1) out += ",";
    out += JsonString(k) + ":" + JsonString(v);
  }
  return out + "}";
}

}  // namespace

const char* AlertStateName(AlertState s) {
  switch (s) {
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
    case AlertState::kResolved:
      return "inactive";
  }
  return "inactive";
}

std::string AlertsJson(const std::vector<Alert>& alerts) {
  std::string out = "{\"status\":\"success\",\"data\":{\"alerts\":[";
  for (size_t i = 0; i < alerts.size(); ++i) {
    const Alert& a = alerts[i];
    out += fmt::format(
        "{}{{\"labels\":{},\"annotations\":{},\"state\":\"{}\","
        "\"activeAt\":\"{}\",\"value\":\"{}\"}}",
        i > 0 ? "," : "", MapJson(a.labels), MapJson(a.annotations),
        AlertStateName(a.state), Rfc3339(a.active_at), a.value);
  }
  return out + "]}}\n";
}

}  // namespace sockwatch
