#include "mix_fixture.h"

#include <unistd.h>

#include "loopback.h"

namespace sockwatch::it {

std::string FastConfig(const std::string& extra) {
  return "# written by the sockwatch integration tests\ninterval: 1s\n" + extra;
}

void NetnsTest::SetUp() {
  SOCKWATCH_SKIP_UNLESS_ROOT();
  std::string error;
  netns_ = Netns::Create(&error);
  ASSERT_NE(netns_, nullptr) << error;
  mix_ = std::make_unique<SocketMix>();
}

void NetnsTest::TearDown() {
  daemon_.reset();
  mix_.reset();
  netns_.reset();
}

void NetnsTest::StartDaemon(const DaemonOptions& options) {
  std::string error;
  daemon_ = Daemon::Start(netns_.get(), options, &error);
  ASSERT_NE(daemon_, nullptr) << error;
  ASSERT_EQ(daemon_->WaitReady(milliseconds(15000)), "");
}

std::optional<Exposition> NetnsTest::CleanScrape() {
  std::string error;
  bool clean = false;
  const uint16_t port = daemon_->port();
  auto scrape = daemon_->ScrapeUntil(
      [port](const Exposition& s) { return OnlyListenerOn(s, port); }, 5,
      &clean, &error);
  if (!scrape) {
    ADD_FAILURE() << error;
    return std::nullopt;
  }
  if (!clean) {
    ADD_FAILURE() << "5 samples in a row counted more than the daemon's "
                     "listener on its own port "
                  << port << ":\n"
                  << Format(NonZero(PortViewOf(*scrape)));
    return std::nullopt;
  }
  return scrape;
}

void NetnsTest::ExpectMixStillValid() const {
  EXPECT_LT(Clock::now(), mix_->valid_until())
      << "the test ran so long that TIME_WAIT/FIN_WAIT2/SYN_SENT sockets of "
         "the mix may have expired; its numbers no longer hold";
}

void MixTest::SetUp() {
  ASSERT_NO_FATAL_FAILURE(NetnsTest::SetUp());
  if (IsSkipped()) return;
  ASSERT_EQ(BuildStandardMix(mix_.get()), "");
  ASSERT_EQ(mix_->Settle(milliseconds(10000)), "");
}

// A port nobody listens on in the current namespace, found by binding :0.
uint16_t FreePort() {
  std::string error;
  const int fd = BoundSocket("127.0.0.1", 0, true, 0, &error);
  const uint16_t port = fd >= 0 ? LocalPort(fd) : 0;
  if (fd >= 0) close(fd);
  return port;
}

void NetnsTest::StartPrometheus(const TempDir& dir, int daemon_port,
                                uint16_t* port,
                                std::shared_ptr<Child>* prometheus) {
  const std::string config =
      dir.Write("prometheus.yml",
                "global:\n"
                "  scrape_interval: 1s\n"
                "  scrape_timeout: 1s\n"
                "  evaluation_interval: 1s\n"
                "scrape_configs:\n"
                "  - job_name: sockwatch\n"
                "    static_configs:\n"
                "      - targets: ['127.0.0.1:" +
                    std::to_string(daemon_port) + "']\n");
  ASSERT_FALSE(config.empty());
  *port = FreePort();
  ASSERT_NE(*port, 0);
  std::string error;
  *prometheus =
      netns_->Spawn({{"prometheus", "--config.file=" + config,
                      "--storage.tsdb.path=" + dir.File("data"),
                      "--web.listen-address=127.0.0.1:" + std::to_string(*port),
                      "--log.level=warn"},
                     "",
                     dir.path()},
                    &error);
  ASSERT_NE(*prometheus, nullptr) << error;
}

}  // namespace sockwatch::it
