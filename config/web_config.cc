#include "config/web_config.h"

#include <crypt.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/yaml_walker.h"

namespace sockwatch {
namespace {}  // namespace

Status ParseWebConfig(const std::string& text, const std::string& file,
                      WebConfig* out) {
  WebConfig c;
  YamlWalker w(file);
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsNull()) {
      w.Map(root, "",
            {{"tls_server_config",
              [&](auto& n, auto& k) {
                w.Fail(n, k,
                       "TLS is not available in this build: Debian 12's "
                       "civetweb 1.15 crashes on TLS handshakes with "
                       "OpenSSL 3; put a TLS-terminating proxy in front of "
                       "sockwatch or keep it on loopback");
              }},
             {"basic_auth_users", [&](auto& n, auto& k) {
                c.basic_auth_users = w.StringMap(n, k);
                for (const auto& [user, hash] : c.basic_auth_users) {
                  if (hash.rfind("$2", 0) != 0) {
                    w.Fail(n[user], k + "." + user,
                           "expected a bcrypt hash ($2y$...)");
                  }
                }
              }}});
    }
  } catch (const YAML::Exception& e) {
    std::ostringstream msg;
    msg << file << ":" << e.mark.line + 1 << ":" << e.mark.column + 1
        << ": invalid YAML: " << e.msg;
    return Status::Error(msg.str(), EINVAL);
  }
  if (!w.ok()) return Status::Error(w.error(), EINVAL);
  *out = c;
  return Status::Ok();
}

Status LoadWebConfigFile(const std::string& path, WebConfig* out) {
  std::ifstream in(path);
  if (!in) {
    int err = errno;
    return Status::Error(
        path + ": cannot read web config file: " + std::strerror(err), err);
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseWebConfig(text.str(), path, out);
}

bool BcryptMatches(const std::string& password, const std::string& hash) {
  if (hash.rfind("$2", 0) != 0) return false;
  crypt_data data{};
  const char* out = crypt_r(password.c_str(), hash.c_str(), &data);
  if (out == nullptr || out[0] == '*') return false;
  // Compare in constant time: the hash is not secret but the habit is cheap.
  size_t n = std::strlen(out);
  if (n != hash.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < n; ++i) diff |= out[i] ^ hash[i];
  return diff == 0;
}

}  // namespace sockwatch
