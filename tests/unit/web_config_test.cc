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
  s = ParseWebConfig("tls_server_config:\n  cert_file: a\n", "w.yml", &c);
  EXPECT_THAT(s.message(), HasSubstr("key \"tls_server_config\": TLS is not "
                                     "available"));
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
