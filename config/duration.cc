#include "config/duration.h"

#include <array>
#include <cstdint>

namespace sockwatch {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t ms;
};

// Largest first; "ms" precedes "m" and "s" when matching a suffix.
constexpr std::array<Unit, 7> kUnits = {{{"y", 365LL * 24 * 3600 * 1000},
                                         {"w", 7LL * 24 * 3600 * 1000},
                                         {"d", 24LL * 3600 * 1000},
                                         {"h", 3600LL * 1000},
                                         {"m", 60LL * 1000},
                                         {"s", 1000},
                                         {"ms", 1}}};

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t next_unit = 0;  // units must come in decreasing order
  size_t i = 0;
  while (i < text.size()) {
    int64_t value = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (value > (INT64_MAX - 9) / 10) return std::nullopt;
      value = value * 10 + (text[i++] - '0');
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    std::string_view rest = text.substr(i);
    const Unit* unit = nullptr;
    size_t index = next_unit;
    for (; index < kUnits.size(); ++index) {
      std::string_view s = kUnits[index].suffix;
      if (rest.substr(0, s.size()) != s) continue;
      // "m" must not swallow the "m" of "ms".
      if (s == "m" && rest.substr(0, 2) == "ms") continue;
      unit = &kUnits[index];
      break;
    }
    if (unit == nullptr) return std::nullopt;
    if (value > INT64_MAX / unit->ms || total > INT64_MAX - value * unit->ms) {
      return std::nullopt;
    }
    total += value * unit->ms;
    i += unit->suffix.size();
    next_unit = index + 1;
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  for (const Unit& unit : kUnits) {
    if (ms >= unit.ms) {
      out += std::to_string(ms / unit.ms);
      out += unit.suffix;
      ms %= unit.ms;
    }
  }
  return out;
}

}  // namespace sockwatch
