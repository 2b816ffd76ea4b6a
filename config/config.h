// Config: every setting of the daemon, with its built-in default, and the
// YAML loader that fills it.
//
// Every key is optional; an unknown key, a wrong type or an out-of-range
// value is an error whose message names the file, line, column and key
// ("/etc/sockwatch.yml:3:11: key \"interval\": ..."). Loading never throws.
// A Config is a plain value: copy it, compare it, hand it to other threads.
#ifndef SOCKWATCH_CONFIG_CONFIG_H_
#define SOCKWATCH_CONFIG_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/rules.h"
#include "daemon/status.h"

namespace sockwatch {

inline constexpr char kDefaultListenAddress[] = "127.0.0.1:9977";

struct Config {
  std::chrono::milliseconds interval{std::chrono::seconds(15)};
  std::string listen_address = kDefaultListenAddress;
  std::string telemetry_path = "/metrics";
  std::string log_level = "info";
  std::string log_format = "logfmt";  // logfmt, json or text
  size_t port_top_n = 50;
  bool attribution = true;  // map sockets to processes through /proc
  size_t process_top_n = 30;
  // Sample every network namespace on the host (containers), not only the
  // daemon's own: `namespaces: all` (needs CAP_SYS_ADMIN). Default `host`.
  bool namespaces_all = false;
  size_t netns_top_n = 20;
  std::string procfs = "/proc";
  std::string cgroupfs = "/sys/fs/cgroup";
  // Alerting rules; DefaultRules() unless the file has a `rules:` key.
  std::vector<Rule> rules = DefaultRules();
  bool rules_configured = false;
  AlertingConfig alerting;
};

// Limits enforced by the loader (and by flags).
inline constexpr std::chrono::milliseconds kMinInterval{1000};
inline constexpr std::chrono::milliseconds kMaxInterval{3600 * 1000};
inline constexpr size_t kMaxTopN = 10000;

// A listen address split into host (IPv4 or IPv6 literal without brackets,
// empty for all addresses) and port.
struct ListenAddress {
  std::string host;
  int port = 0;
  bool ipv6 = false;
};

// "127.0.0.1:9977", "[::1]:9977" or ":9977"; nullopt when malformed.
std::optional<ListenAddress> ParseListenAddress(const std::string& text);

// Checks one setting's value; an error message without a location, or "".
std::string CheckLogLevel(const std::string& level);
std::string CheckLogFormat(const std::string& format);
std::string CheckTelemetryPath(const std::string& path);
std::string CheckInterval(std::chrono::milliseconds interval);

// Parses YAML `text`; `file` names it in error messages. On error `config`
// is left unchanged.
Status ParseConfig(const std::string& text, const std::string& file,
                   Config* config);

// Reads and parses `path`.
Status LoadConfigFile(const std::string& path, Config* config);

}  // namespace sockwatch

#endif  // SOCKWATCH_CONFIG_CONFIG_H_
