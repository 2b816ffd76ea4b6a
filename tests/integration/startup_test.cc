// Startup: from the moment the port accepts connections, the probes answer
// as the contract says (healthy 200; ready 503 or 200), never 404.

#include <thread>

#include "gtest/gtest.h"
#include "mix_fixture.h"

namespace sockwatch::it {
namespace {

// Polls `target` as fast as possible from spawn until the first 200 and
// returns every other status seen (connection refused is not a status).
std::vector<int> StatusesBeforeOk(Daemon* daemon, const std::string& target) {
  std::vector<int> seen;
  WaitFor(milliseconds(5000), milliseconds(0), [&] {
    std::string error;
    auto response = daemon->Get(target, &error);
    if (!response) return !daemon->process().Running();
    if (response->status == 200) return true;
    seen.push_back(response->status);
    return false;
  });
  return seen;
}

// The window is short (the server must not accept before its routes exist):
// many starts, polled without pause, make it likely to be hit when present.
TEST_F(NetnsTest, ProbesNeverAnswer404WhileStarting) {
  constexpr int kStarts = 25;
  const Deadline deadline(milliseconds(60000));
  for (int i = 0; i < kStarts; ++i) {
    ASSERT_FALSE(deadline.Expired()) << "only " << i << " starts in 60 s";
    for (const char* target : {"/-/healthy", "/-/ready"}) {
      SCOPED_TRACE(std::string(target) + " start " + std::to_string(i));
      DaemonOptions options;
      options.config_yaml = FastConfig();
      std::string error;
      daemon_ = Daemon::Start(netns_.get(), options, &error);
      ASSERT_NE(daemon_, nullptr) << error;
      const std::vector<int> seen = StatusesBeforeOk(daemon_.get(), target);
      for (const int status : seen) {
        EXPECT_EQ(status, std::string(target) == "/-/ready" ? 503 : 200)
            << "answered before the first 200";
      }
      // Not what this test is about, and slow (see ExitsPromptly...).
      daemon_->process().Stop(milliseconds(0), SIGKILL);
      daemon_.reset();
    }
  }
}

}  // namespace
}  // namespace sockwatch::it
