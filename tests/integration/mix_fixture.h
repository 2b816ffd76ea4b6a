// MixTest: the gtest fixture of the root-only tests. SetUp() skips unless
// root, creates and enters a private network namespace and builds the
// standard socket mix in it (settled against `ss`); StartDaemon() runs
// sockwatch there. TearDown() stops the daemon, closes the mix and deletes the
// namespace, in that order, whatever the test outcome.
#ifndef SOCKWATCH_TESTS_INTEGRATION_MIX_FIXTURE_H_
#define SOCKWATCH_TESTS_INTEGRATION_MIX_FIXTURE_H_

#include <memory>
#include <optional>
#include <string>

#include "daemon_runner.h"
#include "gtest/gtest.h"
#include "metrics_view.h"
#include "netns.h"
#include "socket_mix.h"
#include "standard_mix.h"
#include "temp_dir.h"

namespace sockwatch::it {

// A port nobody listens on in the current namespace, found by binding :0.
uint16_t FreePort();

// A config with a 1 s sampling interval plus `extra` YAML lines.
std::string FastConfig(const std::string& extra = "");

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the daemon in the namespace and waits until it is ready; fails
  // the test (fatally) if it cannot. Use ASSERT_NO_FATAL_FAILURE.
  void StartDaemon(const DaemonOptions& options);

  // A scrape of a sample during which no HTTP connection of the test was
  // open (the daemon's port shows its listener only), within 5 samples;
  // nullopt with a test failure otherwise.
  std::optional<Exposition> CleanScrape();

  // Starts a real Prometheus in the namespace, scraping the daemon on
  // 127.0.0.1:daemon_port every second, with its data in `dir`; sets *port
  // to its HTTP port. Fails the test (fatally) if it cannot start it.
  void StartPrometheus(const TempDir& dir, int daemon_port, uint16_t* port,
                       std::shared_ptr<Child>* prometheus);

  // Fails the test if the mix's expectation may have expired.
  void ExpectMixStillValid() const;

  std::unique_ptr<Netns> netns_;
  std::unique_ptr<SocketMix> mix_;
  std::unique_ptr<Daemon> daemon_;
};

// NetnsTest with the standard mix built and settled.
class MixTest : public NetnsTest {
 protected:
  void SetUp() override;
};

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_MIX_FIXTURE_H_
