#include "daemon/socket_format.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmath>
#include <cstdio>
#include <cstring>

namespace sockwatch {

std::string FormatEndpoint(uint8_t family, const std::array<uint8_t, 16>& addr,
                           uint16_t port) {
  char text[INET6_ADDRSTRLEN] = "?";
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0,    0,
                                          0, 0, 0, 0, 0xff, 0xff};
  if (family == AF_INET) {
    inet_ntop(AF_INET, addr.data(), text, sizeof(text));
    return std::string(text) + ":" + std::to_string(port);
  }
  if (std::memcmp(addr.data(), kMapped, sizeof(kMapped)) == 0) {
    inet_ntop(AF_INET, addr.data() + 12, text, sizeof(text));
    return std::string(text) + ":" + std::to_string(port);
  }
  inet_ntop(AF_INET6, addr.data(), text, sizeof(text));
  return "[" + std::string(text) + "]:" + std::to_string(port);
}

std::string HumanDuration(double seconds) {
  long long s = seconds > 0 ? std::llround(seconds) : 0;
  struct Unit {
    const char* name;
    long long size;
  };
  static constexpr Unit kUnits[] = {{"d", 86400}, {"h", 3600}, {"m", 60}};
  for (size_t i = 0; i < 3; ++i) {
    if (s < kUnits[i].size) continue;
    std::string out = std::to_string(s / kUnits[i].size) + kUnits[i].name;
    long long rest = s % kUnits[i].size;
    long long next = i < 2 ? kUnits[i + 1].size : 1;
    if (rest / next > 0) {
      out += std::to_string(rest / next) + (i < 2 ? kUnits[i + 1].name : "s");
    }
    return out;
  }
  return std::to_string(s) + "s";
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace sockwatch
