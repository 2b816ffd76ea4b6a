#include "daemon/http_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

namespace sockwatch {
namespace {

using ::testing::HasSubstr;

// A socket connected to 127.0.0.1:port (::1 with `v6`), or -1.
int Connect(int port, bool v6 = false) {
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sockaddr_in6 addr6{};
  addr6.sin6_family = AF_INET6;
  addr6.sin6_port = htons(port);
  addr6.sin6_addr = in6addr_loopback;
  int rc = v6 ? connect(fd, reinterpret_cast<sockaddr*>(&addr6), sizeof(addr6))
              : connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  if (rc != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends `raw` to the server and returns everything it answers.
std::string Exchange(int port, const std::string& raw, bool v6 = false) {
  int fd = Connect(port, v6);
  if (fd < 0) return "";
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
                const std::string& method = "GET", bool v6 = false) {
  return Exchange(
      port,
      method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      v6);
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
  EXPECT_THAT(Exchange(port_, "THIS IS NOT HTTP\r\n\r\n"),
              HasSubstr("HTTP/1.1 400"));
  EXPECT_THAT(Exchange(port_, std::string(100000, 'A') + "\r\n\r\n"),
              HasSubstr("HTTP/1.1 414"));
  EXPECT_THAT(
      Exchange(port_, "GET /hello HTTP/1.1\r\nBroken header line\r\n\r\n"),
      HasSubstr("HTTP/1.1 400"));
  EXPECT_THAT(Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\nX: " +
                                  std::string(100000, 'a') + "\r\n\r\n"),
              HasSubstr("HTTP/1.1 431"));
  // Still serving, and the failures show up in the metrics.
  EXPECT_THAT(Get(port_, "/hello"), HasSubstr("200 OK"));
  std::string metrics = metrics_.Render(nullptr);
  EXPECT_THAT(metrics, HasSubstr("sockwatch_http_requests_total{code=\"200\","
                                 "handler=\"hello\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("sockwatch_http_requests_total{code=\"400\","
                                 "handler=\"error\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("sockwatch_http_requests_total{code=\"414\","
                                 "handler=\"error\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("sockwatch_http_requests_total{code=\"431\","
                                 "handler=\"error\"} 1"));
}

// libmicrohttpd closes a connection whose first line has no space at all
// without an answer; it is still counted, as the 400 it deserved.
TEST_F(HttpServerTest, GarbageIsCountedAsErrorAndServingGoesOn) {
  EXPECT_EQ(Exchange(port_, "GARBAGE\r\n\r\n"), "");
  const std::string counted =
      "sockwatch_http_requests_total{code=\"400\",handler=\"error\"} 1";
  // The close is noticed by the server thread just after the client sees it.
  for (int i = 0; i < 100; ++i) {
    if (metrics_.Render(nullptr).find(counted) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_THAT(metrics_.Render(nullptr), HasSubstr(counted));
  EXPECT_THAT(Get(port_, "/hello"), HasSubstr("200 OK"));
  // A connection that sends nothing is no request and is not counted.
  close(Connect(port_));
  EXPECT_THAT(Get(port_, "/hello"), HasSubstr("200 OK"));
  EXPECT_THAT(metrics_.Render(nullptr), HasSubstr(counted));
}

TEST_F(HttpServerTest, PostBodyIsReadAndIgnored) {
  server_.Close();
  server_.RoutePost("/post", "post", [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", "posted " + r.method};
  });
  ASSERT_TRUE(server_.Listen(*ParseListenAddress("127.0.0.1:0")).ok());
  std::string reply = Exchange(server_.BoundPort(),
                               "POST /post HTTP/1.1\r\nHost: x\r\n"
                               "Content-Length: 5\r\nConnection: close\r\n"
                               "\r\nhello");
  EXPECT_THAT(reply, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(reply, HasSubstr("posted POST"));
}

TEST_F(HttpServerTest, CloseIsFastWithIdleConnectionsOpen) {
  int idle = Connect(port_);
  ASSERT_GE(idle, 0);
  int keep_alive = Connect(port_);
  ASSERT_GE(keep_alive, 0);
  std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  send(keep_alive, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[512];
  ASSERT_GT(recv(keep_alive, buf, sizeof(buf), 0), 0);
  const auto start = std::chrono::steady_clock::now();
  server_.Close();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::milliseconds(500));
  EXPECT_EQ(server_.BoundPort(), 0);
  EXPECT_EQ(Connect(port_), -1);  // nobody listens any more
  close(idle);
  close(keep_alive);
}

// IPv6 only: [::1] answers, 127.0.0.1 on the same port does not.
TEST(HttpServer, ListensOnIpv6Loopback) {
  int probe = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_addr = in6addr_loopback;
  bool has_v6 = probe >= 0 && bind(probe, reinterpret_cast<sockaddr*>(&any),
                                   sizeof(any)) == 0;
  if (probe >= 0) close(probe);
  if (!has_v6) GTEST_SKIP() << "this machine has no ::1 (IPv6 disabled)";

  Metrics metrics;
  HttpServer server(&metrics);
  server.Route("/hello", "hello", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "hi over v6"};
  });
  Status s = server.Listen(*ParseListenAddress("[::1]:0"));
  ASSERT_TRUE(s.ok()) << s.message();
  int port = server.BoundPort();
  ASSERT_GT(port, 0);
  std::string reply = Get(port, "/hello", "GET", true);
  EXPECT_THAT(reply, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(reply, HasSubstr("hi over v6"));
  EXPECT_EQ(Connect(port, false), -1);
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
