#include "config/config.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "config/duration.h"

namespace sockwatch {
namespace {

// Walks a YAML document, reporting the first error with its location.
class Loader {
 public:
  Loader(std::string file, Config* config)
      : file_(std::move(file)), config_(config) {}

  Status Load(const YAML::Node& root) {
    if (root.IsNull()) return Status::Ok();  // an empty file is all defaults
    Map(root, "",
        {
            {"interval", [this](auto& n, auto& k) { Interval(n, k); }},
            {"web", [this](auto& n, auto& k) { Web(n, k); }},
            {"log", [this](auto& n, auto& k) { Log(n, k); }},
            {"ports", [this](auto& n, auto& k) { Ports(n, k); }},
            {"attribution",
             [this](auto& n, auto& k) { config_->attribution = Bool(n, k); }},
            {"processes", [this](auto& n, auto& k) { Processes(n, k); }},
            {"paths", [this](auto& n, auto& k) { Paths(n, k); }},
        });
    return error_.empty() ? Status::Ok() : Status::Error(error_, EINVAL);
  }

 private:
  using Handler =
      std::function<void(const YAML::Node&, const std::string& key)>;

  void Fail(const YAML::Node& node, const std::string& key,
            const std::string& what) {
    if (!error_.empty()) return;
    std::ostringstream msg;
    msg << file_ << ":" << node.Mark().line + 1 << ":" << node.Mark().column + 1
        << ": ";
    if (!key.empty()) msg << "key \"" << key << "\": ";
    msg << what;
    error_ = msg.str();
  }

  void Map(const YAML::Node& node, const std::string& prefix,
           const std::map<std::string, Handler>& handlers) {
    if (!node.IsMap()) {
      Fail(node, prefix, "expected a mapping of keys");
      return;
    }
    for (const auto& item : node) {
      std::string name = item.first.Scalar();
      std::string key = prefix.empty() ? name : prefix + "." + name;
      auto it = handlers.find(name);
      if (it == handlers.end()) {
        Fail(item.first, key, "unknown key");
        return;
      }
      it->second(item.second, key);
      if (!error_.empty()) return;
    }
  }

  bool Scalar(const YAML::Node& node, const std::string& key,
              std::string* out) {
    if (!node.IsScalar()) {
      Fail(node, key, "expected a single value");
      return false;
    }
    *out = node.Scalar();
    return true;
  }

  void Check(const YAML::Node& node, const std::string& key,
             const std::string& problem) {
    if (!problem.empty()) Fail(node, key, problem);
  }

  void Interval(const YAML::Node& node, const std::string& key) {
    std::string text;
    if (!Scalar(node, key, &text)) return;
    auto d = ParseDuration(text);
    if (!d) {
      Fail(node, key,
           "invalid duration \"" + text + "\" (use e.g. 15s, 1m, 1m30s)");
      return;
    }
    Check(node, key, CheckInterval(*d));
    config_->interval = *d;
  }

  void Web(const YAML::Node& node, const std::string& key) {
    Map(node, key,
        {{"listen_address",
          [this](auto& n, auto& k) {
            std::string text;
            if (!Scalar(n, k, &text)) return;
            if (!ParseListenAddress(text)) {
              Fail(n, k,
                   "invalid address \"" + text +
                       "\" (use host:port, e.g. 127.0.0.1:9977)");
            }
            config_->listen_address = text;
          }},
         {"telemetry_path", [this](auto& n, auto& k) {
            std::string text;
            if (!Scalar(n, k, &text)) return;
            Check(n, k, CheckTelemetryPath(text));
            config_->telemetry_path = text;
          }}});
  }

  void Log(const YAML::Node& node, const std::string& key) {
    Map(node, key, {{"level", [this](auto& n, auto& k) {
                       std::string text;
                       if (!Scalar(n, k, &text)) return;
                       Check(n, k, CheckLogLevel(text));
                       config_->log_level = text;
                     }}});
  }

  void Ports(const YAML::Node& node, const std::string& key) {
    Map(node, key, {{"top_n", [this](auto& n, auto& k) {
                       config_->port_top_n = Count(n, k, 1, kMaxTopN);
                     }}});
  }

  void Processes(const YAML::Node& node, const std::string& key) {
    Map(node, key, {{"top_n", [this](auto& n, auto& k) {
                       config_->process_top_n = Count(n, k, 1, kMaxTopN);
                     }}});
  }

  void Paths(const YAML::Node& node, const std::string& key) {
    auto absolute = [this](std::string* field) {
      return [this, field](const YAML::Node& n, const std::string& k) {
        std::string text;
        if (!Scalar(n, k, &text)) return;
        if (text.empty() || text[0] != '/') {
          Fail(n, k, "expected an absolute path, got \"" + text + "\"");
        }
        *field = text;
      };
    };
    Map(node, key,
        {{"procfs", absolute(&config_->procfs)},
         {"cgroupfs", absolute(&config_->cgroupfs)}});
  }

  bool Bool(const YAML::Node& node, const std::string& key) {
    std::string text;
    if (!Scalar(node, key, &text)) return false;
    if (text == "true") return true;
    if (text != "false") {
      Fail(node, key, "expected true or false, got \"" + text + "\"");
    }
    return false;
  }

  // A whole number in [min, max].
  size_t Count(const YAML::Node& node, const std::string& key, size_t min,
               size_t max) {
    std::string text;
    if (!Scalar(node, key, &text)) return 0;
    bool digits = !text.empty() && text.size() <= 18 &&
                  text.find_first_not_of("0123456789") == std::string::npos;
    if (!digits) {
      Fail(node, key, "expected a whole number, got \"" + text + "\"");
      return 0;
    }
    size_t value = std::stoull(text);
    if (value < min || value > max) {
      Fail(node, key,
           "value " + text + " out of range [" + std::to_string(min) + ", " +
               std::to_string(max) + "]");
    }
    return value;
  }

  std::string file_;
  Config* config_;
  std::string error_;
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
