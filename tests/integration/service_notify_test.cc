// sd_notify as systemd sees it under Type=notify with WatchdogSec=2s: the
// daemon runs with NOTIFY_SOCKET pointing at a datagram socket of the test
// and WATCHDOG_USEC=2000000 (WATCHDOG_PID unset). It must send STATUS=
// (sockets, CLOSE_WAIT) and READY=1 once the port is bound and a sample is
// in, WATCHDOG=1 at least every second, RELOADING=1 (with MONOTONIC_USEC)
// then READY=1 around a SIGHUP reload, and STOPPING=1 on SIGTERM, after
// which it exits 0 within 2 s. Without NOTIFY_SOCKET it runs as usual.
#include <signal.h>
#include <time.h>

#include <cstdlib>

#include "gtest/gtest.h"
#include "mix_fixture.h"
#include "service_support.h"

namespace sockwatch::it::service_notify_test {
namespace {

constexpr uint16_t kPort = 9991;

uint64_t MonotonicUsec() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000ULL + now.tv_nsec / 1000;
}

// Index of the first message with `line`, or -1.
int IndexOf(const std::vector<NotifyMessage>& seen, const std::string& line) {
  for (size_t i = 0; i < seen.size(); ++i) {
    if (HasLine(seen[i].text, line)) return static_cast<int>(i);
  }
  return -1;
}

class ServiceNotifyTest : public NetnsTest {};

TEST_F(ServiceNotifyTest, ReadyWatchdogReloadStopping) {
  std::string error;
  NotifySocket notify(&error);
  ASSERT_FALSE(notify.path().empty()) << error;
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = kPort;
  options.extra_args = {"--web.enable-lifecycle"};
  options.command_prefix = {"env", "-u", "WATCHDOG_PID",
                            "NOTIFY_SOCKET=" + notify.path(),
                            "WATCHDOG_USEC=2000000"};
  daemon_ = Daemon::Start(netns_.get(), options, &error);
  ASSERT_NE(daemon_, nullptr) << error;
  const pid_t pid = daemon_->process().pid();

  // Start-up: STATUS= then READY=1, and /-/ready answers 200 at once.
  std::vector<NotifyMessage> seen;
  ASSERT_TRUE(notify.ReceiveUntil("READY=1", milliseconds(15000), &seen))
      << "no READY=1 within 15 s; got:\n"
      << FormatMessages(seen) << "stderr:\n"
      << daemon_->process().Stderr();
  auto ready = daemon_->Get("/-/ready", &error);
  ASSERT_TRUE(ready) << "GET /-/ready right after READY=1: " << error;
  EXPECT_EQ(ready->status, 200) << ready->body;
  int status = -1;
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!Field(seen[i].text, "STATUS").empty()) status = static_cast<int>(i);
  }
  ASSERT_GE(status, 0) << "no STATUS= before READY=1:\n"
                       << FormatMessages(seen);
  const std::string line = Field(seen[status].text, "STATUS");
  EXPECT_NE(line.find("sockets"), std::string::npos) << line;
  EXPECT_NE(line.find("CLOSE_WAIT"), std::string::npos) << line;
  EXPECT_EQ(IndexOf(seen, "READY=1"), static_cast<int>(seen.size()) - 1);

  // Watchdog: WATCHDOG=1 at least every second (half of WATCHDOG_USEC),
  // with some slack for scheduling; READY=1 is not sent again.
  std::vector<NotifyMessage> steady;
  const Clock::time_point start = Clock::now();
  const Deadline window(milliseconds(4500));
  for (int i = 0; i < 1000 && !window.Expired(); ++i) {
    auto m = notify.Receive(window.Remaining());
    if (m) steady.push_back(*m);
  }
  std::vector<Clock::time_point> beats = {start};
  for (const NotifyMessage& m : steady) {
    if (HasLine(m.text, "WATCHDOG=1")) beats.push_back(m.at);
  }
  beats.push_back(Clock::now());
  EXPECT_GE(beats.size(), 2u + 4) << FormatMessages(steady);
  for (size_t i = 1; i < beats.size(); ++i) {
    EXPECT_LT(std::chrono::duration<double>(beats[i] - beats[i - 1]).count(),
              1.3)
        << "gap before watchdog beat " << i << ":\n"
        << FormatMessages(steady);
  }
  EXPECT_EQ(IndexOf(steady, "READY=1"), -1) << FormatMessages(steady);
  int statuses = 0;
  for (const NotifyMessage& m : steady) {
    if (!Field(m.text, "STATUS").empty()) ++statuses;
  }
  EXPECT_GE(statuses, 3) << "a STATUS= after each sample:\n"
                         << FormatMessages(steady);

  // SIGHUP: RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC, now), then
  // READY=1.
  std::vector<NotifyMessage> reload;
  const uint64_t before = MonotonicUsec();
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  ASSERT_TRUE(notify.ReceiveUntil("READY=1", milliseconds(5000), &reload))
      << "no READY=1 within 5 s of SIGHUP:\n"
      << FormatMessages(reload);
  const uint64_t after = MonotonicUsec();
  const int reloading = IndexOf(reload, "RELOADING=1");
  ASSERT_GE(reloading, 0) << FormatMessages(reload);
  EXPECT_LT(reloading, static_cast<int>(reload.size()) - 1);
  const std::string usec = Field(reload[reloading].text, "MONOTONIC_USEC");
  ASSERT_FALSE(usec.empty()) << FormatMessages(reload);
  EXPECT_EQ(usec.find_first_not_of("0123456789"), std::string::npos) << usec;
  const uint64_t stamp = std::strtoull(usec.c_str(), nullptr, 10);
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);

  // SIGTERM: STOPPING=1, then exit 0 within 2 s.
  std::vector<NotifyMessage> stop;
  const Clock::time_point term = Clock::now();
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_TRUE(notify.ReceiveUntil("STOPPING=1", milliseconds(2000), &stop))
      << FormatMessages(stop);
  auto exit = daemon_->process().Wait(
      milliseconds(2000) -
      std::chrono::duration_cast<milliseconds>(Clock::now() - term));
  ASSERT_TRUE(exit.has_value()) << "still running 2 s after SIGTERM";
  EXPECT_TRUE(exit->Ok()) << exit->ToString();
  EXPECT_LT(SecondsSince(term), 2.0);
}

// Without NOTIFY_SOCKET (and with a stray WATCHDOG_USEC) nothing is sent
// and the daemon runs and stops as usual.
TEST_F(ServiceNotifyTest, SilentWithoutNotifySocket) {
  std::string error;
  NotifySocket notify(&error);
  ASSERT_FALSE(notify.path().empty()) << error;
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = kPort;
  options.command_prefix = {"env", "-u", "NOTIFY_SOCKET",
                            "WATCHDOG_USEC=2000000"};
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));
  std::string raw;
  ASSERT_TRUE(daemon_->Scrape(&error, &raw)) << error;
  EXPECT_FALSE(notify.Receive(milliseconds(1500)).has_value());
  const ExitStatus exit = daemon_->process().Stop(milliseconds(3000));
  EXPECT_TRUE(exit.Ok()) << exit.ToString();
}

}  // namespace
}  // namespace sockwatch::it::service_notify_test
