// Daemon: the sockwatch binary under test, started inside a test's network
// namespace with a temporary config file, plus the HTTP calls the tests make
// to it.
//
// The binary is $SOCKWATCH_BIN when set, else the path CMake compiled in.
// Every HTTP call uses HttpGet (closed with an RST, no TIME_WAIT left). The
// process is a Child owned by the Netns it was spawned in and by this object;
// destroying either stops it.
//
// Not copyable; not thread-safe.
#ifndef SOCKWATCH_TESTS_INTEGRATION_DAEMON_RUNNER_H_
#define SOCKWATCH_TESTS_INTEGRATION_DAEMON_RUNNER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child.h"
#include "http_get.h"
#include "netns.h"
#include "prom_text.h"
#include "temp_dir.h"

namespace sockwatch::it {

// Path of the sockwatch binary under test.
std::string SockwatchBinary();

struct DaemonOptions {
  // Written to a temporary file passed as `--config.file`; none when empty.
  std::string config_yaml;
  // Where the test reaches the daemon; 127.0.0.1 only.
  uint16_t port = 9977;
  // Pass `--web.listen-address` (with port); off to rely on the default.
  bool listen_flag = true;
  // `--flag=value` (true) or `--flag value` (false) for the flags we add.
  bool equals_form = true;
  std::vector<std::string> extra_args;
  // Run the binary through this command (e.g. `setpriv ... --`); none when
  // empty.
  std::vector<std::string> command_prefix;
  // The binary to run; SockwatchBinary() when empty.
  std::string binary;
};

class Daemon {
 public:
  // Spawns the daemon in `netns`, or in the calling thread's own namespace
  // when `netns` is null. nullptr and *error on failure.
  static std::unique_ptr<Daemon> Start(Netns* netns,
                                       const DaemonOptions& options,
                                       std::string* error);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  uint16_t port() const { return port_; }
  Child& process() { return *child_; }
  const std::string& config_path() const { return config_path_; }

  // GET on the daemon; nullopt and *error when there is no valid response.
  std::optional<HttpResponse> Get(const std::string& target,
                                  std::string* error);
  // Waits until `/-/ready` answers 200. Meanwhile only "connection refused"
  // (not listening yet) and 503 are acceptable; anything else, or the process
  // exiting, ends the wait with a message. "" on success.
  std::string WaitReady(milliseconds budget);
  // GET /metrics (or `path`), parsed. Sets *raw to the body when non-null.
  std::optional<Exposition> Scrape(std::string* error,
                                   std::string* raw = nullptr,
                                   const std::string& path = "/metrics");
  // Scrapes until a sample newer than `after` (a
  // sockwatch_last_sample_timestamp_seconds value) is published.
  std::optional<Exposition> ScrapeNewSample(double after, milliseconds budget,
                                            std::string* error);
  // Scrapes fresh samples until `accept` holds, for at most `samples` of
  // them; returns the last scrape either way (nullopt on an HTTP or parse
  // failure). *accepted says whether `accept` held.
  std::optional<Exposition> ScrapeUntil(
      const std::function<bool(const Exposition&)>& accept, int samples,
      bool* accepted, std::string* error);

 private:
  Daemon() = default;

  uint16_t port_ = 0;
  TempDir dir_;
  std::string config_path_;
  std::shared_ptr<Child> child_;
};

// The sample timestamp of a scrape; 0 when missing.
double SampleTimestamp(const Exposition& scrape);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_DAEMON_RUNNER_H_
