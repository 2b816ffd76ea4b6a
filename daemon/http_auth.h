// BasicAuth: checks HTTP Basic credentials against bcrypt hashes.
//
// bcrypt is slow on purpose (tens of ms at cost 10), so a header that
// verified once is remembered (by a hash of it, for at most 5 minutes, at
// most 1000 of them), as the Prometheus exporter toolkit does; a wrong one
// is checked every time. Thread-safe.
#ifndef SOCKWATCH_DAEMON_HTTP_AUTH_H_
#define SOCKWATCH_DAEMON_HTTP_AUTH_H_

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sockwatch {

class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users)
      : users_(std::move(users)) {}

  bool enabled() const { return !users_.empty(); }
  // True when `authorization` (the header's value, may be null) names a
  // user whose password matches.
  bool Allowed(const char* authorization);

 private:
  std::map<std::string, std::string> users_;
  std::mutex mu_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> ok_;
};

// Decodes standard base64; false on malformed input.
bool Base64Decode(const std::string& in, std::string* out);

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_HTTP_AUTH_H_
