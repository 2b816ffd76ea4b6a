// Notifier: the Alertmanager v2 body, fingerprints and timestamps, /alerts
// JSON, and the sender thread against a fake Alertmanager on 127.0.0.1:0
// (what it POSTs, when it resends, how it counts failures).
#include "daemon/notifier.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <regex>

namespace sockwatch::notifier_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls `done` every 20 ms for at most `budget`.
bool WaitUntil(std::chrono::milliseconds budget,
               const std::function<bool()>& done) {
  const auto end = Clock::now() + budget;
  for (int i = 0; i < 100000; ++i) {
    if (done()) return true;
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// An Alertmanager stand-in: HTTP/1.1 on 127.0.0.1:0, one connection at a
// time, records every request and answers with a settable status.
class FakeAlertmanager {
 public:
  struct Post {
    std::string target, content_type, body;
    int status = 0;
  };
  ~FakeAlertmanager() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  bool Start() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    auto* sa = reinterpret_cast<sockaddr*>(&addr);
    if (fd_ < 0 || bind(fd_, sa, len) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, sa, &len) != 0) {
      return false;
    }
    url_ = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    thread_ = std::thread([this] { Serve(); });
    return true;
  }
  const std::string& url() const { return url_; }
  void set_status(int status) { status_ = status; }
  std::vector<Post> posts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return posts_;
  }
  bool WaitFor(const std::function<bool(const Post&)>& match,
               std::chrono::milliseconds budget) const {
    return WaitUntil(budget, [&] {
      for (const Post& p : posts()) {
        if (match(p)) return true;
      }
      return false;
    });
  }
  bool WaitPosts(size_t n, std::chrono::milliseconds budget) const {
    return WaitUntil(budget, [&] { return posts().size() >= n; });
  }

 private:
  static std::string Header(const std::string& head, const std::string& name) {
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    size_t at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return "";
    at += name.size() + 3;
    size_t end = head.find("\r\n", at);
    std::string v = head.substr(at, end - at);
    v.erase(0, v.find_first_not_of(' '));
    return v;
  }
  void Serve() {
    // At most 10 minutes of 50 ms rounds.
    for (int round = 0; round < 12000 && !stop_; ++round) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      Handle(c);
      close(c);
    }
  }
  void Handle(int c) {
    std::string req;
    size_t head_end = std::string::npos, length = 0;
    const auto end = Clock::now() + 5s;
    char buf[1 << 16];
    for (int i = 0; i < 10000 && Clock::now() < end && !stop_; ++i) {
      if (head_end != std::string::npos && req.size() >= head_end + 4 + length)
        break;
      pollfd p{c, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) return;
      req.append(buf, static_cast<size_t>(n));
      if (head_end == std::string::npos &&
          (head_end = req.find("\r\n\r\n")) != std::string::npos) {
        const std::string head = req.substr(0, head_end);
        length = std::strtoul(Header(head, "content-length").c_str(), 0, 10);
        if (Header(head, "expect") == "100-continue") {
          const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
          if (write(c, kContinue, sizeof(kContinue) - 1) < 0) return;
        }
      }
    }
    if (head_end == std::string::npos) return;
    const std::string head = req.substr(0, head_end);
    Post post;
    post.target = head.substr(head.find(' ') + 1);
    post.target.resize(post.target.find(' '));
    post.content_type = Header(head, "content-type");
    post.body = req.substr(head_end + 4, length);
    post.status = status_;
    const std::string answer = "HTTP/1.1 " + std::to_string(post.status) +
                               " X\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n";
    {
      std::lock_guard<std::mutex> lock(mu_);
      posts_.push_back(std::move(post));
    }
    if (write(c, answer.data(), answer.size()) < 0) return;
  }

  int fd_ = -1;
  std::string url_;
  std::atomic<int> status_{200};
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<Post> posts_;
  std::thread thread_;
};

double WallNow() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Alert Firing(const std::string& process, double fired_at) {
  Alert a;
  a.rule = "CloseWaitLeak";
  a.labels = {{"alertname", "CloseWaitLeak"},
              {"process", process},
              {"severity", "warning"}};
  a.annotations = {{"summary", process + " leaks"}};
  a.state = AlertState::kFiring;
  a.active_at = fired_at - 60;
  a.fired_at = fired_at;
  a.last_true = fired_at;
  a.value = 4;
  return a;
}

TEST(NotifierTime, Rfc3339UtcWithMilliseconds) {
  EXPECT_EQ(Rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Rfc3339(1700000000), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(Rfc3339(1700000000.5), "2023-11-14T22:13:20.500Z");
  EXPECT_EQ(Rfc3339(1700000000.25), "2023-11-14T22:13:20.250Z");
  EXPECT_EQ(Rfc3339(951782400 + 86399.75), "2000-02-29T23:59:59.750Z");
}

TEST(NotifierFingerprint, RuleAndLabelsOnly) {
  Alert a = Firing("nginx", 100);
  Alert b = a;
  b.annotations["summary"] = "changed";
  b.state = AlertState::kResolved;
  b.value = 9;
  b.fired_at = 200;
  EXPECT_EQ(Fingerprint(a), Fingerprint(b));
  Alert c = Firing("envoy", 100);
  EXPECT_NE(Fingerprint(a), Fingerprint(c));
  Alert d = a;
  d.rule = "Other";
  EXPECT_NE(Fingerprint(a), Fingerprint(d));
}

TEST(NotifierBody, ResolvedAlertShape) {
  Alert a = Firing("ngi\"nx", 1700000000.5);
  a.annotations = {{"description", "line 1\nline 2"}, {"summary", "s"}};
  a.state = AlertState::kResolved;
  a.resolved_at = 1700000100.25;
  EXPECT_EQ(
      Notifier::Body({a}, "http://host:9977/alerts", 60),
      "[{\"labels\":{\"alertname\":\"CloseWaitLeak\",\"process\":\"ngi\\\"nx\","
      "\"severity\":\"warning\"},\"annotations\":{\"description\":\"line "
      "1\\nline 2\",\"summary\":\"s\"},\"startsAt\":\"2023-11-14T22:13:20."
      "500Z\",\"endsAt\":\"2023-11-14T22:15:00.250Z\",\"generatorURL\":"
      "\"http://host:9977/alerts\"}]");
  EXPECT_EQ(Notifier::Body({}, "u", 60), "[]");
}

TEST(NotifierBody, FiringAlertEndsFourResendIntervalsFromNow) {
  const double before = WallNow();
  const std::string body =
      Notifier::Body({Firing("a", 1700000000), Firing("b", 1700000001)},
                     "http://h/alerts", 60);
  const double after = WallNow();
  const std::regex ends("\"endsAt\":\"([0-9T:.-]+)Z\"");
  std::vector<double> ends_at;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), ends);
       it != std::sregex_iterator(); ++it) {
    tm t = {};
    const std::string text = (*it)[1];
    const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &t);
    ASSERT_NE(rest, nullptr) << text;
    ends_at.push_back(static_cast<double>(timegm(&t)) + std::atof(rest));
  }
  ASSERT_EQ(ends_at.size(), 2u) << body;
  for (double e : ends_at) {
    EXPECT_GE(e, std::floor(before) + 240);
    EXPECT_LE(e, after + 240 + 0.001);
  }
  EXPECT_THAT(body, HasSubstr("\"startsAt\":\"2023-11-14T22:13:20.000Z\""));
  EXPECT_THAT(body, HasSubstr("\"startsAt\":\"2023-11-14T22:13:21.000Z\""));
  EXPECT_EQ(body.front(), '[');
  EXPECT_THAT(body, HasSubstr("\"generatorURL\":\"http://h/alerts\"}]"));
}

TEST(AlertsJson, PrometheusApiV1Shape) {
  Alert firing = Firing("nginx", 1700000000);
  Alert pending = Firing("envoy", 0);
  pending.state = AlertState::kPending;
  pending.active_at = 1700000000.5;
  pending.value = 0.5;
  EXPECT_EQ(AlertsJson({firing, pending}),
            "{\"status\":\"success\",\"data\":{\"alerts\":["
            "{\"labels\":{\"alertname\":\"CloseWaitLeak\",\"process\":"
            "\"nginx\",\"severity\":\"warning\"},\"annotations\":{\"summary\":"
            "\"nginx leaks\"},\"state\":\"firing\",\"activeAt\":\"2023-11-"
            "14T22:12:20.000Z\",\"value\":\"4\"},"
            "{\"labels\":{\"alertname\":\"CloseWaitLeak\",\"process\":"
            "\"envoy\",\"severity\":\"warning\"},\"annotations\":{\"summary\":"
            "\"envoy leaks\"},\"state\":\"pending\",\"activeAt\":\"2023-11-"
            "14T22:13:20.500Z\",\"value\":\"0.5\"}]}}\n");
  EXPECT_EQ(AlertsJson({}),
            "{\"status\":\"success\",\"data\":{\"alerts\":[]}}\n");
  EXPECT_STREQ(AlertStateName(AlertState::kResolved), "inactive");
}

// The sender thread against a fake Alertmanager.
class NotifierLive : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(am_.Start()) << std::strerror(errno);
    config_.alertmanagers = {am_.url()};
    config_.resend_interval = 1s;
    config_.timeout = 2s;
  }
  std::string Metric(const std::string& line) {
    return metrics_.Render(nullptr).find(line + "\n") != std::string::npos
               ? line
               : "missing: " + line;
  }

  FakeAlertmanager am_;
  AlertingConfig config_;
  Metrics metrics_;
};

TEST_F(NotifierLive, SendsFiringResendsAndResolvesOnce) {
  Notifier notifier(config_, "http://gen/alerts", &metrics_);
  Alert pending = Firing("pending", 0);
  pending.state = AlertState::kPending;
  Alert never = Firing("never-fired", 0);
  never.state = AlertState::kResolved;
  Alert a = Firing("app", WallNow());
  notifier.Update({pending, never, a}, WallNow());
  ASSERT_TRUE(am_.WaitPosts(1, 5s));
  std::vector<FakeAlertmanager::Post> posts = am_.posts();
  EXPECT_EQ(posts[0].target, "/api/v2/alerts");
  EXPECT_EQ(posts[0].content_type, "application/json");
  EXPECT_THAT(posts[0].body, HasSubstr("\"process\":\"app\""));
  EXPECT_THAT(posts[0].body, Not(HasSubstr("pending")));
  EXPECT_THAT(posts[0].body, Not(HasSubstr("never-fired")));
  // Resent every resend_interval while it fires, without new Updates.
  ASSERT_TRUE(am_.WaitPosts(2, 5s));
  a.state = AlertState::kResolved;
  a.resolved_at = WallNow();
  notifier.Update({a}, a.resolved_at);
  ASSERT_TRUE(am_.WaitFor(
      [&](const FakeAlertmanager::Post& p) {
        return p.body.find(Rfc3339(a.resolved_at)) != std::string::npos;
      },
      5s));
  const size_t sent = am_.posts().size();
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(am_.posts().size(), sent) << "a delivered resolution is final";
  EXPECT_EQ(Metric("sockwatch_notifications_total{result=\"failure\"} 0"),
            "sockwatch_notifications_total{result=\"failure\"} 0");
}

TEST_F(NotifierLive, FailuresAreCountedAndRetried) {
  am_.set_status(503);
  Notifier notifier(config_, "http://gen/alerts", &metrics_);
  notifier.Update({Firing("app", WallNow())}, WallNow());
  ASSERT_TRUE(am_.WaitPosts(1, 5s));
  EXPECT_EQ(Metric("sockwatch_notifications_total{result=\"failure\"} 1"),
            "sockwatch_notifications_total{result=\"failure\"} 1");
  am_.set_status(200);
  ASSERT_TRUE(am_.WaitPosts(2, 5s)) << "retried after a 1 s backoff";
  EXPECT_TRUE(WaitUntil(5s, [&] {
    return metrics_.Render(nullptr).find(
               "sockwatch_notifications_total{result=\"success\"} 1\n") !=
           std::string::npos;
  }));
}

// Beyond kMaxPending the oldest waiting resolution makes room (BUG at
// 33c7c66: the newcomer was dropped, even a firing alert).
TEST_F(NotifierLive, FullQueueDropsOldResolutionsNotNewFiringAlerts) {
  am_.set_status(503);
  Notifier notifier(config_, "http://gen/alerts", &metrics_);
  std::vector<Alert> alerts;
  for (size_t i = 0; i < Notifier::kMaxPending; ++i) {
    alerts.push_back(Firing("old" + std::to_string(i), WallNow()));
  }
  notifier.Update(alerts, WallNow());
  ASSERT_TRUE(am_.WaitPosts(1, 5s)) << "the first POST fails; backoff 1 s";
  for (Alert& a : alerts) {
    a.state = AlertState::kResolved;
    a.resolved_at = WallNow();
  }
  notifier.Update(alerts, WallNow());
  notifier.Update({Firing("new", WallNow())}, WallNow());
  EXPECT_EQ(Metric("sockwatch_notifications_dropped_total 1"),
            "sockwatch_notifications_dropped_total 1");
  am_.set_status(200);
  // Everything due goes in one POST: the first accepted one must carry it.
  ASSERT_TRUE(am_.WaitFor(
      [](const FakeAlertmanager::Post& p) { return p.status == 200; }, 8s));
  bool delivered = false;
  for (const FakeAlertmanager::Post& p : am_.posts()) {
    if (p.status != 200) continue;
    // The newest resolutions are kept (only the oldest one makes room).
    EXPECT_NE(p.body.find("\"process\":\"old9999\""), std::string::npos);
    delivered |= p.body.find("\"process\":\"new\"") != std::string::npos;
  }
  EXPECT_TRUE(delivered)
      << "the new firing alert was dropped while resolutions were kept";
}

}  // namespace
}  // namespace sockwatch::notifier_test
