#include "config/config.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/duration.h"
#include "config/yaml_walker.h"

namespace sockwatch {
namespace {

// Fills a Config from a YAML document; the first error wins.
class Loader {
 public:
  Loader(std::string file, Config* config) : w_(std::move(file)), c_(config) {}

  Status Load(const YAML::Node& root) {
    if (root.IsNull()) return Status::Ok();  // an empty file is all defaults
    YAML::Node rules;
    bool has_rules = false;
    w_.Map(
        root, "",
        {{"interval", [this](auto& n, auto& k) { Interval(n, k); }},
         {"web", [this](auto& n, auto& k) { Web(n, k); }},
         {"log", [this](auto& n, auto& k) { Log(n, k); }},
         {"ports", [this](auto& n, auto& k) { TopN(n, k, &c_->port_top_n); }},
         {"processes",
          [this](auto& n, auto& k) { TopN(n, k, &c_->process_top_n); }},
         {"attribution",
          [this](auto& n, auto& k) { c_->attribution = w_.Bool(n, k); }},
         {"namespaces", [this](auto& n, auto& k) { Namespaces(n, k); }},
         {"netns", [this](auto& n, auto& k) { TopN(n, k, &c_->netns_top_n); }},
         {"paths", [this](auto& n, auto& k) { Paths(n, k); }},
         {"rules",
          [&](auto& n, auto&) {
            rules = n;
            has_rules = true;
          }},
         {"alerting", [this](auto& n, auto& k) {
            ParseAlerting(w_, n, k, &c_->alerting);
          }}});
    // Rules are read last: their checks depend on interval and attribution
    // wherever those appear in the file.
    if (w_.ok() && has_rules) {
      ParseRules(w_, rules, "rules", &c_->rules);
      c_->rules_configured = true;
      CheckRules(w_, c_->rules, c_->interval, c_->attribution,
                 c_->namespaces_all);
    } else if (!has_rules) {
      // The built-in rules are per process: without attribution there are
      // none to apply.
      c_->rules =
          c_->attribution ? DefaultRules(c_->interval) : std::vector<Rule>{};
    }
    return w_.ok() ? Status::Ok() : Status::Error(w_.error(), EINVAL);
  }

 private:
  void Interval(const YAML::Node& node, const std::string& key) {
    c_->interval = w_.Duration(node, key);
    if (w_.ok()) w_.Check(node, key, CheckInterval(c_->interval));
  }

  void Web(const YAML::Node& node, const std::string& key) {
    w_.Map(node, key,
           {{"listen_address",
             [this](auto& n, auto& k) {
               c_->listen_address = w_.String(n, k);
               if (w_.ok() && !ParseListenAddress(c_->listen_address)) {
                 w_.Fail(n, k,
                         "invalid address \"" + c_->listen_address +
                             "\" (use host:port, e.g. 127.0.0.1:9977)");
               }
             }},
            {"telemetry_path", [this](auto& n, auto& k) {
               c_->telemetry_path = w_.String(n, k);
               if (w_.ok()) {
                 w_.Check(n, k, CheckTelemetryPath(c_->telemetry_path));
               }
             }}});
  }

  void Log(const YAML::Node& node, const std::string& key) {
    w_.Map(node, key,
           {{"level",
             [this](auto& n, auto& k) {
               c_->log_level = w_.String(n, k);
               if (w_.ok()) w_.Check(n, k, CheckLogLevel(c_->log_level));
             }},
            {"format", [this](auto& n, auto& k) {
               c_->log_format = w_.String(n, k);
               if (w_.ok()) w_.Check(n, k, CheckLogFormat(c_->log_format));
             }}});
  }

  void Namespaces(const YAML::Node& node, const std::string& key) {
    const std::string value = w_.String(node, key);
    if (!w_.ok()) return;
    if (value == "all" || value == "host") {
      c_->namespaces_all = value == "all";
    } else {
      w_.Fail(node, key, "expected \"host\" or \"all\", got \"" + value + "\"");
    }
  }

  void TopN(const YAML::Node& node, const std::string& key, size_t* field) {
    w_.Map(node, key, {{"top_n", [this, field](auto& n, auto& k) {
                          *field = w_.Count(n, k, 1, kMaxTopN);
                        }}});
  }

  void Paths(const YAML::Node& node, const std::string& key) {
    auto absolute = [this](std::string* field) {
      return [this, field](const YAML::Node& n, const std::string& k) {
        *field = w_.String(n, k);
        if (w_.ok() && (field->empty() || (*field)[0] != '/')) {
          w_.Fail(n, k, "expected an absolute path, got \"" + *field + "\"");
        }
      };
    };
    w_.Map(node, key,
           {{"procfs", absolute(&c_->procfs)},
            {"cgroupfs", absolute(&c_->cgroupfs)}});
  }

  YamlWalker w_;
  Config* c_;
};

}  // namespace

std::optional<ListenAddress> ParseListenAddress(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  ListenAddress out;
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  out.port = std::stoi(port);
  if (out.port > 65535) return std::nullopt;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    in6_addr a6;
    if (inet_pton(AF_INET6, host.c_str(), &a6) != 1) return std::nullopt;
    out.ipv6 = true;
  } else if (!host.empty()) {
    in_addr a4;
    if (inet_pton(AF_INET, host.c_str(), &a4) != 1) return std::nullopt;
  }
  out.host = host;
  return out;
}

std::string CheckLogLevel(const std::string& level) {
  if (level == "debug" || level == "info" || level == "warn" ||
      level == "error") {
    return "";
  }
  return "invalid log level \"" + level + "\" (debug, info, warn, error)";
}

std::string CheckLogFormat(const std::string& format) {
  if (format == "logfmt" || format == "json" || format == "text") return "";
  return "invalid log format \"" + format + "\" (logfmt, json, text)";
}

std::string CheckTelemetryPath(const std::string& path) {
  if (path.size() < 2 || path[0] != '/' ||
      path.find_first_of(" ?#") != std::string::npos) {
    return "invalid path \"" + path + "\" (must start with / and not be /)";
  }
  if (path.rfind("/-/", 0) == 0) return "paths under /-/ are reserved";
  return "";
}

std::string CheckInterval(std::chrono::milliseconds interval) {
  if (interval < kMinInterval || interval > kMaxInterval) {
    return "interval " + FormatDuration(interval) + " out of range [" +
           FormatDuration(kMinInterval) + ", " + FormatDuration(kMaxInterval) +
           "]";
  }
  return "";
}

Status ParseConfig(const std::string& text, const std::string& file,
                   Config* config) {
  Config candidate = *config;
  Status status;
  try {
    YAML::Node root = YAML::Load(text);
    status = Loader(file, &candidate).Load(root);
  } catch (const YAML::Exception& e) {
    std::ostringstream msg;
    msg << file << ":" << e.mark.line + 1 << ":" << e.mark.column + 1
        << ": invalid YAML: " << e.msg;
    return Status::Error(msg.str(), EINVAL);
  }
  if (status.ok()) *config = candidate;
  return status;
}

Status LoadConfigFile(const std::string& path, Config* config) {
  std::ifstream in(path);
  if (!in) {
    int err = errno;
    return Status::Error(
        path + ": cannot read config file: " + std::strerror(err), err);
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path, config);
}

}  // namespace sockwatch
