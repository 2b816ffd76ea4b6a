#include "config/web_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "daemon/http_auth.h"

namespace sockwatch {
namespace {

using ::testing::HasSubstr;

// bcrypt of "s3cret" at cost 10.
constexpr char kHash[] =
    "$2b$10$8J/DTccsJijOjycv6I4hMeJsEa6OWFef9QHjfLdOxSmWyYJwpMvEq";

TEST(WebConfig, ReadsBasicAuthUsers) {
  WebConfig c;
  Status s = ParseWebConfig(
      std::string("basic_auth_users:\n  alice: '") + kHash + "'\n", "w.yml",
      &c);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(c.basic_auth_users.size(), 1u);
  EXPECT_EQ(c.basic_auth_users.at("alice"), kHash);
}

TEST(WebConfig, ErrorsNameFileLineAndKey) {
  WebConfig c;
  Status s =
      ParseWebConfig("basic_auth_users:\n  bob: plaintext\n", "w.yml", &c);
  EXPECT_THAT(s.message(),
              HasSubstr("w.yml:2:8: key \"basic_auth_users.bob\": expected a "
                        "bcrypt hash"));
  s = ParseWebConfig("bogus: 1\n", "w.yml", &c);
  EXPECT_THAT(s.message(), HasSubstr("w.yml:1:1: key \"bogus\": unknown key"));
}

TEST(WebConfig, ReadsTlsServerConfig) {
  WebConfig c;
  Status s = ParseWebConfig(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: /etc/ssl/server.key\n"
      "  client_ca_file: ca.crt\n"
      "  min_version: TLS13\n"
      "  max_version: TLS13\n",
      "/etc/sockwatch/web.yml", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(c.tls.has_value());
  // Relative names are relative to the web config file, as in the toolkit.
  EXPECT_EQ(c.tls->cert_file, "/etc/sockwatch/server.crt");
  EXPECT_EQ(c.tls->key_file, "/etc/ssl/server.key");
  EXPECT_EQ(c.tls->client_ca_file, "/etc/sockwatch/ca.crt");
  // A CA without a client_auth_type requires and verifies client certs.
  EXPECT_EQ(c.tls->client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(c.tls->min_version, TlsVersion::kTls13);
  EXPECT_EQ(c.tls->max_version, TlsVersion::kTls13);

  ASSERT_TRUE(ParseWebConfig("tls_server_config:\n"
                             "  cert_file: a\n"
                             "  key_file: b\n",
                             "w.yml", &c)
                  .ok());
  EXPECT_EQ(c.tls->client_auth, ClientAuth::kNoClientCert);
  EXPECT_EQ(c.tls->min_version, TlsVersion::kTls12);
  EXPECT_FALSE(c.tls->max_version.has_value());
  EXPECT_EQ(c.tls->cert_file, "a");

  ASSERT_TRUE(ParseWebConfig("tls_server_config:\n"
                             "  cert_file: a\n"
                             "  key_file: b\n"
                             "  client_ca_file: ca\n"
                             "  client_auth_type: VerifyClientCertIfGiven\n",
                             "w.yml", &c)
                  .ok());
  EXPECT_EQ(c.tls->client_auth, ClientAuth::kVerifyClientCertIfGiven);
  ASSERT_TRUE(ParseWebConfig("basic_auth_users: {}\n", "w.yml", &c).ok());
  EXPECT_FALSE(c.tls.has_value());
}

// Each TLS mistake is refused with file:line:column and the key.
TEST(WebConfig, TlsErrorsNameFileLineAndKey) {
  const std::string both = "  cert_file: a\n  key_file: b\n";
  const std::map<std::string, std::string> cases = {
      {"tls_server_config:\n  key_file: b\n",
       "w.yml:2:3: key \"tls_server_config.cert_file\": missing"},
      {"tls_server_config:\n  cert_file: a\n",
       "w.yml:2:3: key \"tls_server_config.key_file\": missing"},
      {"tls_server_config:\n  cert_file: ''\n  key_file: b\n",
       "w.yml:2:14: key \"tls_server_config.cert_file\": expected a file "
       "name"},
      {"tls_server_config:\n" + both + "  min_version: TLS11\n",
       "w.yml:4:16: key \"tls_server_config.min_version\": unsupported TLS "
       "version \"TLS11\""},
      {"tls_server_config:\n" + both + "  max_version: SSL3\n",
       "w.yml:4:16: key \"tls_server_config.max_version\": unsupported TLS "
       "version \"SSL3\""},
      {"tls_server_config:\n" + both +
           "  min_version: TLS13\n  max_version: TLS12\n",
       "w.yml:5:16: key \"tls_server_config.max_version\": TLS12 is below "
       "min_version TLS13"},
      {"tls_server_config:\n" + both + "  cipher_suites: [x]\n",
       "w.yml:4:3: key \"tls_server_config.cipher_suites\": unknown key"},
      {"tls_server_config:\n" + both +
           "  client_auth_type: RequireAndVerifyClientCert\n",
       "w.yml:4:21: key \"tls_server_config.client_auth_type\": verifying "
       "client certificates needs client_ca_file"},
      {"tls_server_config:\n" + both + "  client_ca_file: ca\n" +
           "  client_auth_type: RequireAnyClientCert\n",
       "w.yml:5:21: key \"tls_server_config.client_auth_type\": unsupported "
       "client_auth_type \"RequireAnyClientCert\""},
      {"tls_server_config: yes\n",
       "w.yml:1:20: key \"tls_server_config\": expected a mapping"},
  };
  for (const auto& [text, error] : cases) {
    WebConfig c;
    Status s = ParseWebConfig(text, "w.yml", &c);
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_THAT(s.message(), HasSubstr(error)) << text;
  }
}

TEST(BasicAuth, RightWrongAndMissingCredentials) {
  EXPECT_TRUE(BcryptMatches("s3cret", kHash));
  EXPECT_FALSE(BcryptMatches("s3cres", kHash));
  EXPECT_FALSE(BcryptMatches("s3cret", "not-a-hash"));
  BasicAuth auth(std::map<std::string, std::string>{{"alice", kHash}});
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.Allowed("Basic YWxpY2U6czNjcmV0"));   // alice:s3cret
  EXPECT_TRUE(auth.Allowed("Basic YWxpY2U6czNjcmV0"));   // remembered
  EXPECT_FALSE(auth.Allowed("Basic YWxpY2U6d3Jvbmc="));  // alice:wrong
  EXPECT_FALSE(auth.Allowed("Basic Ym9iOnMzY3JldA=="));  // bob:s3cret
  EXPECT_FALSE(auth.Allowed(nullptr));
  EXPECT_FALSE(auth.Allowed("Bearer abc"));
  EXPECT_FALSE(auth.Allowed("Basic !!!"));
  BasicAuth open(std::map<std::string, std::string>{});
  EXPECT_TRUE(open.Allowed(nullptr));
}

TEST(Base64, DecodesAndRejects) {
  std::string out;
  ASSERT_TRUE(Base64Decode("YWxpY2U6czNjcmV0", &out));
  EXPECT_EQ(out, "alice:s3cret");
  ASSERT_TRUE(Base64Decode("YQ==", &out));
  EXPECT_EQ(out, "a");
  EXPECT_FALSE(Base64Decode("YQ=", &out));
  EXPECT_FALSE(Base64Decode("Y=Q=", &out));
}

}  // namespace
}  // namespace sockwatch
