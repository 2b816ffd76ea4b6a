// WebConfig: `--web.config.file`, in the Prometheus exporter-toolkit format:
//
//   basic_auth_users:
//     alice: $2y$10$...            # bcrypt hashes (htpasswd -nBC 10)
//
// Applies to every endpoint. Errors name file, line, column and key.
// `tls_server_config` is refused with an explanation: Debian 12's civetweb
// (1.15) looks up OpenSSL 1.1 functions at run time that OpenSSL 3 no
// longer has, and crashes on the first TLS handshake.
#ifndef SOCKWATCH_CONFIG_WEB_CONFIG_H_
#define SOCKWATCH_CONFIG_WEB_CONFIG_H_

#include <map>
#include <string>

#include "daemon/status.h"

namespace sockwatch {

struct WebConfig {
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt
};

Status ParseWebConfig(const std::string& text, const std::string& file,
                      WebConfig* out);
Status LoadWebConfigFile(const std::string& path, WebConfig* out);

// True when `password` matches the bcrypt `hash` ($2a$, $2b$, $2y$).
bool BcryptMatches(const std::string& password, const std::string& hash);

}  // namespace sockwatch

#endif  // SOCKWATCH_CONFIG_WEB_CONFIG_H_
