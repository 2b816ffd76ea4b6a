// AlertTemplate: the small template language of rule annotations and labels.
//
//   {{ $labels.process }}      a label of the alert's group
//   {{ $value }}               the group's socket count in the rule's state
//   {{ $oldest }} {{ $growth }} {{ $open_fds }} {{ $max_fds }} {{ $fd_usage }}
//   {{ humanizeDuration $oldest }} or {{ $oldest | humanizeDuration }}
//   {{ humanize $value }}      a number with k/M suffixes
//
// Templates are parsed once, when the config is loaded, so a typo is a
// config error and rendering cannot fail. Immutable after Parse; copyable.
#ifndef SOCKWATCH_CONFIG_ALERT_TEMPLATE_H_
#define SOCKWATCH_CONFIG_ALERT_TEMPLATE_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockwatch {

struct TemplateData {
  const std::map<std::string, std::string>* labels = nullptr;
  double value = 0;
  double oldest = 0;  // seconds
  double growth = 0;
  double open_fds = 0;
  double max_fds = 0;
  double fd_usage = 0;  // open_fds / max_fds
};

class AlertTemplate {
 public:
  // nullopt and `error` set when `text` does not parse.
  static std::optional<AlertTemplate> Parse(std::string_view text,
                                            std::string* error);
  std::string Render(const TemplateData& data) const;

 private:
  enum class Func { kNone, kHumanizeDuration, kHumanize };
  struct Segment {
    std::string literal;   // used when variable is empty
    std::string variable;  // "$value", "$labels.x", ...
    Func func = Func::kNone;
  };
  std::vector<Segment> segments_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_CONFIG_ALERT_TEMPLATE_H_
