// Helpers of the TLS tests: throwaway certificates made with the openssl
// command (tests/tls/make-certs.sh, see there for the files), and an HTTPS
// client on libcurl that can present a client certificate, cap the TLS
// version and send basic auth.
#ifndef SOCKWATCH_TESTS_UNIT_TLS_FIXTURE_H_
#define SOCKWATCH_TESTS_UNIT_TLS_FIXTURE_H_

#include <string>

namespace sockwatch::testing {

// Runs make-certs.sh into `dir`. "" on success, else why it failed
// (openssl missing, the script's output).
std::string MakeTestCerts(const std::string& dir);

// Whether `name` is an executable on $PATH.
bool OnPath(const std::string& name);

struct FetchOptions {
  std::string ca_file;    // trust these CAs (the server's certificate)
  std::string cert_file;  // client certificate, none when empty
  std::string key_file;
  std::string user_password;  // "user:password" for basic auth
  bool max_tls12 = false;     // refuse TLS 1.3 (curl --tls-max 1.2)
  bool min_tls13 = false;     // refuse TLS 1.2 (curl --tlsv1.3)
};

struct FetchResult {
  std::string error;  // libcurl's message; "" when a response came
  long status = 0;
  std::string headers;
  std::string body;
};

// GET `url` (a 5 s timeout), never throws.
FetchResult Fetch(const std::string& url, const FetchOptions& options = {});

}  // namespace sockwatch::testing

#endif  // SOCKWATCH_TESTS_UNIT_TLS_FIXTURE_H_
