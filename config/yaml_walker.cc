#include "config/yaml_walker.h"

#include <cstdlib>
#include <sstream>

#include "config/duration.h"

namespace sockwatch {

void YamlWalker::Fail(const YAML::Node& node, const std::string& key,
                      const std::string& what) {
  FailAt(node.Mark(), key, what);
}

void YamlWalker::FailAt(const YAML::Mark& mark, const std::string& key,
                        const std::string& what) {
  if (!error_.empty()) return;
  std::ostringstream msg;
  msg << file_ << ":" << mark.line + 1 << ":" << mark.column + 1 << ": ";
  if (!key.empty()) msg << "key \"" << key << "\": ";
  msg << what;
  error_ = msg.str();
}

void YamlWalker::Map(const YAML::Node& node, const std::string& prefix,
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
    if (!ok()) return;
  }
}

void YamlWalker::List(const YAML::Node& node, const std::string& key,
                      const Handler& each) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    Fail(node, key, "expected a list");
    return;
  }
  for (size_t i = 0; i < node.size() && ok(); ++i) {
    each(node[i], key + "[" + std::to_string(i) + "]");
  }
}

std::map<std::string, std::string> YamlWalker::StringMap(
    const YAML::Node& node, const std::string& key) {
  std::map<std::string, std::string> out;
  if (node.IsNull()) return out;
  if (!node.IsMap()) {
    Fail(node, key, "expected a mapping of names to values");
    return out;
  }
  for (const auto& item : node) {
    std::string name = item.first.Scalar();
    out[name] = String(item.second, key + "." + name);
  }
  return out;
}

std::string YamlWalker::String(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) {
    Fail(node, key, "expected a single value");
    return "";
  }
  return node.Scalar();
}

bool YamlWalker::Bool(const YAML::Node& node, const std::string& key) {
  std::string text = String(node, key);
  if (!ok()) return false;
  if (text == "true") return true;
  if (text != "false") {
    Fail(node, key, "expected true or false, got \"" + text + "\"");
  }
  return false;
}

size_t YamlWalker::Count(const YAML::Node& node, const std::string& key,
                         size_t min, size_t max) {
  std::string text = String(node, key);
  if (!ok()) return 0;
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

double YamlWalker::Number(const YAML::Node& node, const std::string& key,
                          double min, double max) {
  std::string text = String(node, key);
  if (!ok()) return 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0') {
    Fail(node, key, "expected a number, got \"" + text + "\"");
    return 0;
  }
  if (!(value >= min && value <= max)) {
    std::ostringstream range;
    range << "value " << text << " out of range [" << min << ", " << max << "]";
    Fail(node, key, range.str());
  }
  return value;
}

std::chrono::milliseconds YamlWalker::Duration(const YAML::Node& node,
                                               const std::string& key) {
  std::string text = String(node, key);
  if (!ok()) return {};
  auto d = ParseDuration(text);
  if (!d) {
    Fail(node, key,
         "invalid duration \"" + text + "\" (use e.g. 15s, 1m, 1m30s)");
    return {};
  }
  return *d;
}

void YamlWalker::Check(const YAML::Node& node, const std::string& key,
                       const std::string& problem) {
  if (!problem.empty()) Fail(node, key, problem);
}

}  // namespace sockwatch
