// A real Prometheus server scrapes the daemon and answers a query with the
// exact CLOSE_WAIT count of the mix.

#include <unistd.h>

#include <regex>

#include "gtest/gtest.h"
#include "loopback.h"
#include "mix_fixture.h"

namespace sockwatch::it {
namespace {

constexpr uint16_t kDaemonPort = 9981;

// The values of an instant-vector query answer, in order.
std::vector<std::string> ResultValues(const std::string& json) {
  std::vector<std::string> values;
  const std::regex value(R"re("value":\[[0-9.e+]+,"([^"]*)"\])re");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), value);
       it != std::sregex_iterator(); ++it) {
    values.push_back((*it)[1]);
  }
  return values;
}

TEST_F(MixTest, PrometheusQueriesTheExactCloseWaitCount) {
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = kDaemonPort;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));

  TempDir dir;
  uint16_t port = 0;
  std::shared_ptr<Child> prometheus;
  ASSERT_NO_FATAL_FAILURE(
      StartPrometheus(dir, kDaemonPort, &port, &prometheus));
  std::string error;

  const int64_t want = mix_->ByState().at("close_wait");
  ASSERT_GT(want, 0);
  const std::string query =
      "/api/v1/query?query=" +
      UrlEncode("sockwatch_tcp_sockets{state=\"close_wait\"}");
  std::string last = "no answer yet";
  const bool found = WaitFor(milliseconds(60000), milliseconds(500), [&] {
    if (!prometheus->Running()) {
      last = "prometheus exited: " + prometheus->Stderr();
      return true;
    }
    auto response =
        HttpGet("127.0.0.1", port, query, milliseconds(5000), &error);
    if (!response) {
      last = error;
      return false;
    }
    last = std::to_string(response->status) + " " + response->body;
    const auto values = ResultValues(response->body);
    return response->status == 200 && values.size() == 1 &&
           values[0] == std::to_string(want);
  });
  EXPECT_TRUE(found && prometheus->Running())
      << "wanted " << want << "; last answer: " << last;

  auto up = HttpGet("127.0.0.1", port,
                    "/api/v1/query?query=" + UrlEncode("up{job=\"sockwatch\"}"),
                    milliseconds(5000), &error);
  ASSERT_TRUE(up) << error;
  EXPECT_EQ(ResultValues(up->body), std::vector<std::string>{"1"}) << up->body;
  // Stop it before its data directory goes away.
  const ExitStatus status = prometheus->Stop();
  EXPECT_FALSE(status.forced) << status.ToString();
}

}  // namespace
}  // namespace sockwatch::it
