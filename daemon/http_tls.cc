#include "daemon/http_tls.h"

#include <gnutls/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace sockwatch {
namespace {

Status ReadFile(const std::string& key, const std::string& path,
                std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    return Status::Error("tls_server_config." + key + ": cannot read " + path +
                             ": " + std::strerror(err),
                         err);
  }
  std::stringstream text;
  text << in.rdbuf();
  *out = text.str();
  return Status::Ok();
}

gnutls_datum_t Datum(const std::string& s) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())),
          static_cast<unsigned int>(s.size())};
}

struct CredentialsDeleter {
  void operator()(gnutls_certificate_credentials_st* c) const {
    gnutls_certificate_free_credentials(c);
  }
};

}  // namespace

std::string TlsPriorities(TlsVersion min, std::optional<TlsVersion> max) {
  std::string out = "NORMAL:-VERS-ALL";
  if (max.value_or(TlsVersion::kTls13) == TlsVersion::kTls13) {
    out += ":+VERS-TLS1.3";
  }
  if (min == TlsVersion::kTls12) out += ":+VERS-TLS1.2";
  return out;
}

Status LoadTls(const TlsServerConfig& config, TlsFiles* out) {
  TlsFiles f;
  Status s = ReadFile("cert_file", config.cert_file, &f.cert_pem);
  if (s.ok()) s = ReadFile("key_file", config.key_file, &f.key_pem);
  const bool verify = config.client_auth != ClientAuth::kNoClientCert;
  if (s.ok() && verify) {
    s = ReadFile("client_ca_file", config.client_ca_file, &f.trust_pem);
  }
  if (!s.ok()) return s;
  f.client_auth = config.client_auth;
  f.priorities = TlsPriorities(config.min_version, config.max_version);

  gnutls_certificate_credentials_t raw = nullptr;
  if (gnutls_certificate_allocate_credentials(&raw) < 0) {
    return Status::Error("TLS: cannot allocate GnuTLS credentials", ENOMEM);
  }
  std::unique_ptr<gnutls_certificate_credentials_st, CredentialsDeleter> cred(
      raw);
  gnutls_datum_t cert = Datum(f.cert_pem), key = Datum(f.key_pem);
  // Also checks that the key belongs to the certificate.
  int ret = gnutls_certificate_set_x509_key_mem2(
      cred.get(), &cert, &key, GNUTLS_X509_FMT_PEM, nullptr, 0);
  if (ret < 0) {
    return Status::Error("tls_server_config: cert_file " + config.cert_file +
                             " with key_file " + config.key_file +
                             " is refused by GnuTLS: " + gnutls_strerror(ret),
                         EINVAL);
  }
  if (verify) {
    gnutls_datum_t ca = Datum(f.trust_pem);
    ret = gnutls_certificate_set_x509_trust_mem(cred.get(), &ca,
                                                GNUTLS_X509_FMT_PEM);
    if (ret <= 0) {
      return Status::Error(
          "tls_server_config.client_ca_file: " + config.client_ca_file + ": " +
              (ret < 0
                   ? std::string("refused by GnuTLS: ") + gnutls_strerror(ret)
                   : std::string("no PEM certificate in it")),
          EINVAL);
    }
  }
  gnutls_priority_t priority = nullptr;
  ret = gnutls_priority_init(&priority, f.priorities.c_str(), nullptr);
  if (ret < 0) {
    return Status::Error("TLS: GnuTLS refuses priorities \"" + f.priorities +
                             "\": " + gnutls_strerror(ret),
                         EINVAL);
  }
  gnutls_priority_deinit(priority);
  *out = std::move(f);
  return Status::Ok();
}

std::string CheckClientCert(gnutls_session_t session, ClientAuth policy) {
  if (policy == ClientAuth::kNoClientCert) return "";
  if (session == nullptr) return "not a TLS connection";
  unsigned int count = 0;
  if (gnutls_certificate_get_peers(session, &count) == nullptr || count == 0) {
    return policy == ClientAuth::kRequireAndVerifyClientCert
               ? "no client certificate"
               : "";
  }
  // As Go's crypto/tls does: the chain must lead to a client CA and be
  // fit for TLS client authentication (a certificate without an extended
  // key usage is).
  gnutls_typed_vdata_st purpose{};
  purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
  purpose.data = reinterpret_cast<unsigned char*>(
      const_cast<char*>(GNUTLS_KP_TLS_WWW_CLIENT));
  unsigned int status = 0;
  int ret = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
  if (ret < 0) {
    return std::string("client certificate not verified: ") +
           gnutls_strerror(ret);
  }
  if (status == 0) return "";
  gnutls_datum_t text{};
  std::string why = "client certificate not trusted";
  if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
                                                   &text, 0) == 0) {
    why += ": " + std::string(reinterpret_cast<char*>(text.data), text.size);
    gnutls_free(text.data);
  }
  return why;
}

}  // namespace sockwatch
