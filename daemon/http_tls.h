// HttpTls: the GnuTLS half of HttpServer's TLS.
//
// LoadTls reads the files of a tls_server_config and has GnuTLS check them,
// so that an unreadable file, a key that does not match its certificate or
// a CA file without a usable certificate is an error at startup rather than
// at the first handshake. libmicrohttpd then does the handshakes with the
// same GnuTLS. With a trust list libmicrohttpd only *requests* a client
// certificate and never checks it: CheckClientCert, called for every
// request, is what enforces client_auth_type.
//
// Stateless functions; TlsFiles is a plain value.
#ifndef SOCKWATCH_DAEMON_HTTP_TLS_H_
#define SOCKWATCH_DAEMON_HTTP_TLS_H_

#include <gnutls/gnutls.h>

#include <optional>
#include <string>

#include "config/web_config.h"
#include "daemon/status.h"

namespace sockwatch {

// What libmicrohttpd is given, checked.
struct TlsFiles {
  std::string cert_pem;
  std::string key_pem;
  std::string trust_pem;  // "" when no client certificate is requested
  std::string priorities;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
};

// Reads and checks `config`'s files. Error naming the key, the file and
// the reason (errno text or GnuTLS's) when one cannot be used.
Status LoadTls(const TlsServerConfig& config, TlsFiles* out);

// The GnuTLS priority string that allows exactly `min`..`max` (max unset:
// up to TLS 1.3), e.g. "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2".
std::string TlsPriorities(TlsVersion min, std::optional<TlsVersion> max);

// "" when the peer of `session` satisfies `policy`; otherwise why not
// ("no client certificate", "certificate ... not trusted"). A null session
// (plain HTTP) satisfies only kNoClientCert.
std::string CheckClientCert(gnutls_session_t session, ClientAuth policy);

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_HTTP_TLS_H_
