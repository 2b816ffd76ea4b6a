#include "daemon/http_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace sockwatch {
namespace {

using ::testing::HasSubstr;

// Sends `raw` to 127.0.0.1:port and returns everything the server answers.
std::string Exchange(int port, const std::string& raw) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (int i = 0; i < 1000; ++i) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, n);
  }
  close(fd);
  return out;
}

std::string Get(int port, const std::string& path,
                const std::string& method = "GET") {
  return Exchange(port,
                  method + " " + path +
                      " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Route("/hello", "hello", [](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", "hi " + r.query};
    });
    Status s = server_.Listen(*ParseListenAddress("127.0.0.1:0"));
    ASSERT_TRUE(s.ok()) << s.message();
    port_ = server_.BoundPort();
    ASSERT_GT(port_, 0);
  }

  Metrics metrics_;
  HttpServer server_{&metrics_};
  int port_ = 0;
};

TEST_F(HttpServerTest, ServesRoutesWithQuery) {
  std::string reply = Get(port_, "/hello?x=1");
  EXPECT_THAT(reply, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(reply, HasSubstr("hi x=1"));
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethod405) {
  EXPECT_THAT(Get(port_, "/nope"), HasSubstr("HTTP/1.1 404"));
  std::string reply = Get(port_, "/hello", "POST");
  EXPECT_THAT(reply, HasSubstr("HTTP/1.1 405"));
  EXPECT_THAT(reply, HasSubstr("Allow: GET, HEAD"));
  std::string head = Get(port_, "/hello", "HEAD");
  EXPECT_THAT(head, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(head, ::testing::Not(HasSubstr("hi ")));
}

TEST_F(HttpServerTest, MalformedRequestsAreCountedAndSurvived) {
  Exchange(port_, "THIS IS NOT HTTP\r\n\r\n");
  Exchange(port_, std::string(100000, 'A') + "\r\n\r\n");
  Exchange(port_, "GET /hello HTTP/1.1\r\nBroken header line\r\n\r\n");
  // Still serving, and the failures show up in the metrics.
  EXPECT_THAT(Get(port_, "/hello"), HasSubstr("200 OK"));
  std::string metrics = metrics_.Render(nullptr);
  EXPECT_THAT(metrics, HasSubstr("sockwatch_http_requests_total{code=\"200\","
                                 "handler=\"hello\"} 1"));
  EXPECT_THAT(metrics, ::testing::ContainsRegex(
                           "sockwatch_http_requests_total\\{code=\"4[0-9]+\","
                           "handler=\"error\"\\} [1-9]"));
}

TEST(HttpServer, BusyPortIsAnError) {
  Metrics metrics;
  HttpServer first(&metrics);
  ASSERT_TRUE(first.Listen(*ParseListenAddress("127.0.0.1:0")).ok());
  HttpServer second(&metrics);
  ListenAddress taken{"127.0.0.1", first.BoundPort(), false};
  Status s = second.Listen(taken);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("cannot listen"));
}

}  // namespace
}  // namespace sockwatch

namespace sockwatch {
namespace {

TEST(HttpServerAuth, EveryEndpointNeedsTheRightCredentials) {
  Metrics metrics;
  HttpServer server(&metrics);
  server.Route("/hello", "hello", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "hi"};
  });
  WebConfig web;
  // bcrypt of "s3cret" at cost 10.
  web.basic_auth_users["alice"] =
      "$2b$10$8J/DTccsJijOjycv6I4hMeJsEa6OWFef9QHjfLdOxSmWyYJwpMvEq";
  ASSERT_TRUE(server.Listen(*ParseListenAddress("127.0.0.1:0"), web).ok());
  int port = server.BoundPort();
  auto get = [port](const std::string& path, const std::string& auth) {
    return Exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + auth +
                              "Connection: close\r\n\r\n");
  };
  std::string missing = get("/hello", "");
  EXPECT_THAT(missing, HasSubstr("HTTP/1.1 401"));
  EXPECT_THAT(missing, HasSubstr("WWW-Authenticate: Basic realm="));
  EXPECT_THAT(get("/nope", ""), HasSubstr("HTTP/1.1 401"));
  EXPECT_THAT(get("/hello", "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n"),
              HasSubstr("HTTP/1.1 401"));
  std::string right =
      get("/hello", "Authorization: Basic YWxpY2U6czNjcmV0\r\n");
  EXPECT_THAT(right, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(right, HasSubstr("hi"));
  EXPECT_THAT(metrics.Render(nullptr),
              HasSubstr("sockwatch_http_requests_total{code=\"401\","
                        "handler=\"unauthorized\"} 3"));
}

}  // namespace
}  // namespace sockwatch
