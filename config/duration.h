// Prometheus duration syntax: "15s", "1m30s", "1h", "500ms", "2d", "1w",
// "1y", or "0". Units appear at most once each, largest first.
#ifndef SOCKWATCH_CONFIG_DURATION_H_
#define SOCKWATCH_CONFIG_DURATION_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sockwatch {

// nullopt when `text` is not a valid duration (or overflows).
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// The shortest Prometheus spelling of `d` ("1m30s", "0s").
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace sockwatch

#endif  // SOCKWATCH_CONFIG_DURATION_H_
