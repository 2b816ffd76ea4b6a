// WebConfig: `--web.config.file`, in the Prometheus exporter-toolkit format:
//
//   tls_server_config:
//     cert_file: server.crt        # PEM certificate (chain), required
//     key_file: server.key         # PEM private key, required
//     client_ca_file: ca.crt       # PEM CAs that sign client certificates
//     client_auth_type: RequireAndVerifyClientCert
//     min_version: TLS12           # TLS12 (default) or TLS13
//     max_version: TLS13           # optional
//   basic_auth_users:
//     alice: $2y$10$...            # bcrypt hashes (htpasswd -nBC 10)
//
// Applies to every endpoint. Relative file names are relative to the
// directory of the web config file, as in the exporter toolkit.
// client_auth_type is NoClientCert, VerifyClientCertIfGiven or
// RequireAndVerifyClientCert; it defaults to RequireAndVerifyClientCert when
// client_ca_file is set and to NoClientCert otherwise, and one that
// verifies needs client_ca_file. Errors name file, line, column and key.
//
// Parsing only checks the shape; the files are read and checked by
// HttpServer::Listen (daemon/http_tls.h). The file is read once at
// startup: a reload (SIGHUP, /-/reload) does not re-read it.
#ifndef SOCKWATCH_CONFIG_WEB_CONFIG_H_
#define SOCKWATCH_CONFIG_WEB_CONFIG_H_

#include <map>
#include <optional>
#include <string>

#include "daemon/status.h"

namespace sockwatch {

enum class TlsVersion { kTls12, kTls13 };

enum class ClientAuth {
  kNoClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // "" when client certificates are not asked
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
  std::optional<TlsVersion> max_version;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;                   // plain HTTP if unset
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt
};

Status ParseWebConfig(const std::string& text, const std::string& file,
                      WebConfig* out);
Status LoadWebConfigFile(const std::string& path, WebConfig* out);

// True when `password` matches the bcrypt `hash` ($2a$, $2b$, $2y$).
bool BcryptMatches(const std::string& password, const std::string& hash);

}  // namespace sockwatch

#endif  // SOCKWATCH_CONFIG_WEB_CONFIG_H_
