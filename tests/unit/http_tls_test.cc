// HttpServer over TLS, with certificates made by openssl and libcurl (built
// on OpenSSL) as the client: the handshake, client certificates, TLS
// versions and basic auth across the two TLS implementations.
#include "daemon/http_tls.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "daemon/http_server.h"
#include "temp_tree.h"
#include "tls_fixture.h"

namespace sockwatch {
namespace {

using testing::Fetch;
using testing::FetchOptions;
using ::testing::HasSubstr;
using testing::TempTree;

// bcrypt of "s3cret" at cost 10.
constexpr char kHash[] =
    "$2b$10$8J/DTccsJijOjycv6I4hMeJsEa6OWFef9QHjfLdOxSmWyYJwpMvEq";

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.root().empty());
    if (!testing::OnPath("openssl")) {
      GTEST_SKIP() << "needs the openssl command to make test certificates";
    }
    ASSERT_EQ(testing::MakeTestCerts(dir_.root()), "");
    server_.Route("/hello", "hello", [](const HttpRequest&) {
      return HttpResponse{200, "text/plain", "hello over TLS\n"};
    });
  }

  std::string File(const std::string& name) const {
    return dir_.root() + "/" + name;
  }

  // The server's certificate and key; more set by the test.
  TlsServerConfig Tls() const {
    TlsServerConfig tls;
    tls.cert_file = File("server.crt");
    tls.key_file = File("server.key");
    return tls;
  }

  void Start(const TlsServerConfig& tls, const std::string& user = "") {
    WebConfig web;
    web.tls = tls;
    if (!user.empty()) web.basic_auth_users[user] = kHash;
    Status s = server_.Listen(*ParseListenAddress("127.0.0.1:0"), web);
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_GT(server_.BoundPort(), 0);
  }

  std::string Url(const std::string& scheme = "https") const {
    return scheme + "://127.0.0.1:" + std::to_string(server_.BoundPort()) +
           "/hello";
  }

  // Trusts the test CA; presents client certificate `name` if not empty.
  FetchOptions Client(const std::string& name = "") const {
    FetchOptions o;
    o.ca_file = File("ca.crt");
    if (!name.empty()) {
      o.cert_file = File(name + ".crt");
      o.key_file = File(name + ".key");
    }
    return o;
  }

  TempTree dir_{"tls"};
  Metrics metrics_;
  HttpServer server_{&metrics_};
};

TEST_F(TlsServerTest, GetOverTlsServesTheExactBody) {
  ASSERT_NO_FATAL_FAILURE(Start(Tls()));
  testing::FetchResult r = Fetch(Url(), Client());
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello over TLS\n");
  EXPECT_THAT(r.headers, HasSubstr("Cache-Control: no-store"));
  EXPECT_THAT(r.headers, HasSubstr("X-Content-Type-Options: nosniff"));
  // The client checks the server's certificate: without the CA it fails.
  EXPECT_NE(Fetch(Url(), {}).error, "");
}

TEST_F(TlsServerTest, PlainHttpToTheTlsPortFails) {
  ASSERT_NO_FATAL_FAILURE(Start(Tls()));
  testing::FetchResult plain = Fetch(Url("http"));
  EXPECT_NE(plain.error, "");
  EXPECT_EQ(plain.status, 0);
  EXPECT_EQ(plain.body, "");
  // And the server is none the worse for it.
  EXPECT_EQ(Fetch(Url(), Client()).status, 200);
}

TEST_F(TlsServerTest, RequiredClientCertificateMustBeSignedByTheCa) {
  TlsServerConfig tls = Tls();
  tls.client_ca_file = File("ca.crt");
  tls.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  ASSERT_NO_FATAL_FAILURE(Start(tls));

  testing::FetchResult none = Fetch(Url(), Client());
  EXPECT_EQ(none.status, 403) << none.error;
  EXPECT_THAT(none.body, HasSubstr("no client certificate"));
  testing::FetchResult good = Fetch(Url(), Client("client"));
  EXPECT_EQ(good.status, 200) << good.error;
  EXPECT_EQ(good.body, "hello over TLS\n");
  testing::FetchResult other = Fetch(Url(), Client("other"));
  EXPECT_EQ(other.status, 403) << other.error;
  EXPECT_THAT(other.body, HasSubstr("not trusted"));
  EXPECT_THAT(metrics_.Render(nullptr),
              HasSubstr("sockwatch_http_requests_total{code=\"403\","
                        "handler=\"forbidden\"} 2"));
}

TEST_F(TlsServerTest, OptionalClientCertificateIsCheckedWhenGiven) {
  TlsServerConfig tls = Tls();
  tls.client_ca_file = File("ca.crt");
  tls.client_auth = ClientAuth::kVerifyClientCertIfGiven;
  ASSERT_NO_FATAL_FAILURE(Start(tls));
  EXPECT_EQ(Fetch(Url(), Client()).status, 200);
  EXPECT_EQ(Fetch(Url(), Client("client")).status, 200);
  EXPECT_EQ(Fetch(Url(), Client("other")).status, 403);
}

TEST_F(TlsServerTest, MinVersionTls13RefusesATls12Client) {
  TlsServerConfig tls = Tls();
  tls.min_version = TlsVersion::kTls13;
  ASSERT_NO_FATAL_FAILURE(Start(tls));
  FetchOptions tls12 = Client();
  tls12.max_tls12 = true;
  testing::FetchResult refused = Fetch(Url(), tls12);
  EXPECT_NE(refused.error, "");
  EXPECT_EQ(refused.status, 0);
  EXPECT_EQ(Fetch(Url(), Client()).status, 200);
}

TEST_F(TlsServerTest, MaxVersionTls12RefusesATls13OnlyClient) {
  TlsServerConfig tls = Tls();
  tls.max_version = TlsVersion::kTls12;
  ASSERT_NO_FATAL_FAILURE(Start(tls));
  FetchOptions tls13 = Client();
  tls13.min_tls13 = true;
  EXPECT_NE(Fetch(Url(), tls13).error, "");
  FetchOptions tls12 = Client();
  tls12.max_tls12 = true;
  EXPECT_EQ(Fetch(Url(), tls12).status, 200);
}

TEST_F(TlsServerTest, BasicAuthOverTls) {
  ASSERT_NO_FATAL_FAILURE(Start(Tls(), "alice"));
  FetchOptions right = Client(), wrong = Client();
  right.user_password = "alice:s3cret";
  wrong.user_password = "alice:wrong";
  testing::FetchResult ok = Fetch(Url(), right);
  EXPECT_EQ(ok.status, 200) << ok.error;
  EXPECT_EQ(ok.body, "hello over TLS\n");
  EXPECT_EQ(Fetch(Url(), wrong).status, 401);
  testing::FetchResult missing = Fetch(Url(), Client());
  EXPECT_EQ(missing.status, 401);
  EXPECT_THAT(missing.headers, HasSubstr("WWW-Authenticate: Basic realm="));
}

TEST_F(TlsServerTest, UnusableFilesAreErrorsAtListen) {
  auto listen = [this](const TlsServerConfig& tls) {
    WebConfig web;
    web.tls = tls;
    return server_.Listen(*ParseListenAddress("127.0.0.1:0"), web);
  };
  TlsServerConfig missing = Tls();
  missing.cert_file = File("nope.crt");
  Status s = listen(missing);
  EXPECT_THAT(s.message(),
              HasSubstr("tls_server_config.cert_file: cannot "
                        "read " +
                        File("nope.crt") + ": No such file or directory"));
  TlsServerConfig mismatch = Tls();
  mismatch.key_file = File("client.key");
  s = listen(mismatch);
  EXPECT_THAT(s.message(), HasSubstr("refused by GnuTLS"));
  TlsServerConfig not_a_key = Tls();
  not_a_key.key_file = File("ca.crt");
  EXPECT_THAT(listen(not_a_key).message(), HasSubstr("refused by GnuTLS"));
  TlsServerConfig bad_ca = Tls();
  bad_ca.client_ca_file = File("server.key");
  bad_ca.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  EXPECT_THAT(
      listen(bad_ca).message(),
      HasSubstr("tls_server_config.client_ca_file: " + File("server.key")));
  EXPECT_EQ(server_.BoundPort(), 0);  // nothing was bound
}

TEST(TlsPriorities, AllowExactlyTheConfiguredVersions) {
  EXPECT_EQ(TlsPriorities(TlsVersion::kTls12, std::nullopt),
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
  EXPECT_EQ(TlsPriorities(TlsVersion::kTls13, std::nullopt),
            "NORMAL:-VERS-ALL:+VERS-TLS1.3");
  EXPECT_EQ(TlsPriorities(TlsVersion::kTls12, TlsVersion::kTls12),
            "NORMAL:-VERS-ALL:+VERS-TLS1.2");
}

TEST(ClientCert, NoSessionSatisfiesOnlyNoClientCert) {
  EXPECT_EQ(CheckClientCert(nullptr, ClientAuth::kNoClientCert), "");
  EXPECT_NE(CheckClientCert(nullptr, ClientAuth::kVerifyClientCertIfGiven), "");
  EXPECT_NE(CheckClientCert(nullptr, ClientAuth::kRequireAndVerifyClientCert),
            "");
}

}  // namespace
}  // namespace sockwatch
