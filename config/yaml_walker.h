// YamlWalker: reads typed values out of a yaml-cpp tree and keeps the first
// error, located as "file:line:column: key \"a.b\": what".
//
// Each reader returns a value (a harmless default after an error) and never
// throws; callers check ok() once at the end. Not thread-safe.
#ifndef SOCKWATCH_CONFIG_YAML_WALKER_H_
#define SOCKWATCH_CONFIG_YAML_WALKER_H_

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace sockwatch {

class YamlWalker {
 public:
  using Handler = std::function<void(const YAML::Node&, const std::string&)>;

  explicit YamlWalker(std::string file) : file_(std::move(file)) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // Records an error at `node` (only the first one is kept).
  void Fail(const YAML::Node& node, const std::string& key,
            const std::string& what);
  // Same, at a remembered position.
  void FailAt(const YAML::Mark& mark, const std::string& key,
              const std::string& what);

  // A mapping whose keys must all be in `handlers`; "prefix.key" names them.
  void Map(const YAML::Node& node, const std::string& prefix,
           const std::map<std::string, Handler>& handlers);
  // A sequence: calls `each` with every item and "key[i]".
  void List(const YAML::Node& node, const std::string& key,
            const Handler& each);
  // A mapping of free-form string keys to string values.
  std::map<std::string, std::string> StringMap(const YAML::Node& node,
                                               const std::string& key);

  std::string String(const YAML::Node& node, const std::string& key);
  bool Bool(const YAML::Node& node, const std::string& key);
  // A whole number in [min, max].
  size_t Count(const YAML::Node& node, const std::string& key, size_t min,
               size_t max);
  // A decimal number in [min, max].
  double Number(const YAML::Node& node, const std::string& key, double min,
                double max);
  // A Prometheus duration (15s, 1m30s).
  std::chrono::milliseconds Duration(const YAML::Node& node,
                                     const std::string& key);
  // Fails at `node` with `problem` unless it is empty.
  void Check(const YAML::Node& node, const std::string& key,
             const std::string& problem);

 private:
  std::string file_;
  std::string error_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_CONFIG_YAML_WALKER_H_
