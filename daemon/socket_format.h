// Small formatting helpers shared by the report and the HTTP views.
#ifndef SOCKWATCH_DAEMON_SOCKET_FORMAT_H_
#define SOCKWATCH_DAEMON_SOCKET_FORMAT_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sockwatch {

// "127.0.0.1:80" or "[::1]:80"; IPv4-mapped IPv6 addresses print as IPv4.
std::string FormatEndpoint(uint8_t family, const std::array<uint8_t, 16>& addr,
                           uint16_t port);

// A short human duration: "45s", "12m3s", "5h2m", "3d4h".
std::string HumanDuration(double seconds);

// `text` as a JSON string literal, quotes included.
std::string JsonString(std::string_view text);

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_SOCKET_FORMAT_H_
