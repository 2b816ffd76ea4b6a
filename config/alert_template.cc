#include "config/alert_template.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace sockwatch {
namespace {

constexpr std::string_view kNumbers[] = {"$value",    "$oldest",  "$growth",
                                         "$open_fds", "$max_fds", "$fd_usage"};

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

bool KnownVariable(const std::string& v) {
  if (v.rfind("$labels.", 0) == 0) return v.size() > 8;
  for (auto n : kNumbers) {
    if (v == n) return true;
  }
  return false;
}

std::string FormatNumber(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.4g", v);
  }
  return buf;
}

std::string Humanize(double v) {
  const char* suffix[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (std::fabs(v) >= 1000 && i < 4) {
    v /= 1000;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g%s", v, suffix[i]);
  return buf;
}

// Prometheus's humanizeDuration: "1d 2h 3m 4s".
std::string HumanizeDuration(double seconds) {
  if (seconds < 0) return "-" + HumanizeDuration(-seconds);
  if (seconds < 1) return FormatNumber(seconds) + "s";
  long long s = std::llround(seconds);
  long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
  s %= 60;
  std::string out;
  if (d) out += std::to_string(d) + "d ";
  if (d || h) out += std::to_string(h) + "h ";
  if (d || h || m) out += std::to_string(m) + "m ";
  return out + std::to_string(s) + "s";
}

}  // namespace

std::optional<AlertTemplate> AlertTemplate::Parse(std::string_view text,
                                                  std::string* error) {
  AlertTemplate t;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      t.segments_.push_back({std::string(text.substr(pos)), "", Func::kNone});
      break;
    }
    if (open > pos) {
      t.segments_.push_back(
          {std::string(text.substr(pos, open - pos)), "", Func::kNone});
    }
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      *error = "template: unclosed {{";
      return std::nullopt;
    }
    std::vector<std::string> w = Words(text.substr(open + 2, close - open - 2));
    Segment seg;
    if (w.size() == 1) {
      seg.variable = w[0];
    } else if (w.size() == 2 &&
               (w[0] == "humanizeDuration" || w[0] == "humanize")) {
      seg.variable = w[1];
      seg.func = w[0] == "humanize" ? Func::kHumanize : Func::kHumanizeDuration;
    } else if (w.size() == 3 && w[1] == "|" &&
               (w[2] == "humanizeDuration" || w[2] == "humanize")) {
      seg.variable = w[0];
      seg.func = w[2] == "humanize" ? Func::kHumanize : Func::kHumanizeDuration;
    } else {
      *error = "template: cannot read {{" +
               std::string(text.substr(open + 2, close - open - 2)) +
               "}} (use e.g. {{ $labels.process }}, {{ $value }}, "
               "{{ humanizeDuration $oldest }})";
      return std::nullopt;
    }
    if (!KnownVariable(seg.variable)) {
      *error = "template: unknown variable " + seg.variable +
               " ($labels.<name>, $value, $oldest, $growth, $open_fds, "
               "$max_fds, $fd_usage)";
      return std::nullopt;
    }
    if (seg.func != Func::kNone && seg.variable.rfind("$labels.", 0) == 0) {
      *error = "template: " + seg.variable + " is not a number";
      return std::nullopt;
    }
    t.segments_.push_back(std::move(seg));
    pos = close + 2;
  }
  return t;
}

std::string AlertTemplate::Render(const TemplateData& data) const {
  std::string out;
  for (const Segment& seg : segments_) {
    if (seg.variable.empty()) {
      out += seg.literal;
      continue;
    }
    if (seg.variable.rfind("$labels.", 0) == 0) {
      if (data.labels == nullptr) continue;
      auto it = data.labels->find(seg.variable.substr(8));
      if (it != data.labels->end()) out += it->second;
      continue;
    }
    double v = seg.variable == "$value"      ? data.value
               : seg.variable == "$oldest"   ? data.oldest
               : seg.variable == "$growth"   ? data.growth
               : seg.variable == "$open_fds" ? data.open_fds
               : seg.variable == "$max_fds"  ? data.max_fds
                                             : data.fd_usage;
    switch (seg.func) {
      case Func::kNone:
        out += FormatNumber(v);
        break;
      case Func::kHumanize:
        out += Humanize(v);
        break;
      case Func::kHumanizeDuration:
        out += HumanizeDuration(v);
        break;
    }
  }
  return out;
}

}  // namespace sockwatch
