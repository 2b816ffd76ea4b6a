#include "config/web_config.h"

#include <crypt.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "config/yaml_walker.h"

namespace sockwatch {
namespace {

const char* VersionName(TlsVersion v) {
  return v == TlsVersion::kTls13 ? "TLS13" : "TLS12";
}

TlsVersion Version(YamlWalker& w, const YAML::Node& n, const std::string& k) {
  std::string v = w.String(n, k);
  if (v == "TLS13") return TlsVersion::kTls13;
  if (v != "TLS12" && w.ok()) {
    w.Fail(n, k,
           "unsupported TLS version \"" + v +
               "\" (TLS12, TLS13; TLS10 and TLS11 are not offered)");
  }
  return TlsVersion::kTls12;
}

// A file name; relative ones are taken from the web config's directory.
std::string FileName(YamlWalker& w, const YAML::Node& n, const std::string& k,
                     const std::filesystem::path& dir) {
  std::string name = w.String(n, k);
  if (name.empty() && w.ok()) w.Fail(n, k, "expected a file name");
  if (name.empty() || name.front() == '/' || dir.empty()) return name;
  return (dir / name).string();
}

void ParseTls(YamlWalker& w, const YAML::Node& node, const std::string& key,
              const std::filesystem::path& dir, TlsServerConfig* t) {
  std::optional<YAML::Node> auth_node, max_node;
  w.Map(
      node, key,
      {{"cert_file",
        [&](auto& n, auto& k) { t->cert_file = FileName(w, n, k, dir); }},
       {"key_file",
        [&](auto& n, auto& k) { t->key_file = FileName(w, n, k, dir); }},
       {"client_ca_file",
        [&](auto& n, auto& k) { t->client_ca_file = FileName(w, n, k, dir); }},
       {"client_auth_type",
        [&](auto& n, auto& k) {
          std::string v = w.String(n, k);
          auth_node = n;
          if (v == "NoClientCert") {
            t->client_auth = ClientAuth::kNoClientCert;
          } else if (v == "VerifyClientCertIfGiven") {
            t->client_auth = ClientAuth::kVerifyClientCertIfGiven;
          } else if (v == "RequireAndVerifyClientCert") {
            t->client_auth = ClientAuth::kRequireAndVerifyClientCert;
          } else if (w.ok()) {
            // RequestClientCert and RequireAnyClientCert accept a
            // certificate nobody checked: not offered.
            w.Fail(n, k,
                   "unsupported client_auth_type \"" + v +
                       "\" (NoClientCert, VerifyClientCertIfGiven, "
                       "RequireAndVerifyClientCert)");
          }
        }},
       {"min_version",
        [&](auto& n, auto& k) { t->min_version = Version(w, n, k); }},
       {"max_version", [&](auto& n, auto& k) {
          t->max_version = Version(w, n, k);
          max_node = n;
        }}});
  if (!w.ok()) return;
  if (t->cert_file.empty()) {
    w.Fail(node, key + ".cert_file", "missing; required with TLS");
  } else if (t->key_file.empty()) {
    w.Fail(node, key + ".key_file", "missing; required with TLS");
  }
  if (!auth_node && !t->client_ca_file.empty()) {
    t->client_auth = ClientAuth::kRequireAndVerifyClientCert;
  }
  if (auth_node && t->client_auth != ClientAuth::kNoClientCert &&
      t->client_ca_file.empty()) {
    w.Fail(*auth_node, key + ".client_auth_type",
           "verifying client certificates needs client_ca_file");
  }
  if (max_node && *t->max_version < t->min_version) {
    w.Fail(*max_node, key + ".max_version",
           std::string(VersionName(*t->max_version)) +
               " is below min_version " + VersionName(t->min_version));
  }
}

}  // namespace

Status ParseWebConfig(const std::string& text, const std::string& file,
                      WebConfig* out) {
  WebConfig c;
  YamlWalker w(file);
  const std::filesystem::path dir = std::filesystem::path(file).parent_path();
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsNull()) {
      w.Map(root, "",
            {{"tls_server_config",
              [&](auto& n, auto& k) {
                c.tls.emplace();
                ParseTls(w, n, k, dir, &*c.tls);
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
