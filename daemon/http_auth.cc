#include "daemon/http_auth.h"

#include <cstring>
#include <functional>

#include "config/web_config.h"

namespace sockwatch {
namespace {

constexpr auto kRemember = std::chrono::minutes(5);
constexpr size_t kMaxRemembered = 1000;

int Sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

bool Base64Decode(const std::string& in, std::string* out) {
  out->clear();
  if (in.size() % 4 != 0) return false;
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
      } else if (pad > 0 || (v[j] = Sextet(c)) < 0) {
        return false;
      }
    }
    uint32_t n = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];
    out->push_back(static_cast<char>(n >> 16));
    if (pad < 2) out->push_back(static_cast<char>(n >> 8 & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(n & 0xff));
  }
  return true;
}

bool BasicAuth::Allowed(const char* authorization) {
  if (users_.empty()) return true;
  if (authorization == nullptr ||
      std::strncmp(authorization, "Basic ", 6) != 0) {
    return false;
  }
  std::string header = authorization + 6;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = ok_.find(header);
    if (it != ok_.end() && now - it->second < kRemember) return true;
  }
  std::string decoded;
  if (header.size() > 1024 || !Base64Decode(header, &decoded)) return false;
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  auto user = users_.find(decoded.substr(0, colon));
  if (user == users_.end() ||
      !BcryptMatches(decoded.substr(colon + 1), user->second)) {
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (ok_.size() >= kMaxRemembered) ok_.clear();
  ok_[header] = now;
  return true;
}

}  // namespace sockwatch
