// Harness of the alerting integration tests: a process that leaks CLOSE_WAIT
// sockets under a name of our choosing, a real Alertmanager in the test's
// network namespace, and readers for the alert lists of sockwatch's /alerts
// and Alertmanager's /api/v2/alerts.
//
// Everything here lives in the namespace of the thread that creates it and
// is stopped by pid when destroyed. Not copyable; not thread-safe.
#ifndef SOCKWATCH_TESTS_INTEGRATION_ALERTING_HARNESS_H_
#define SOCKWATCH_TESTS_INTEGRATION_ALERTING_HARNESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child.h"
#include "http_get.h"
#include "netns.h"
#include "prom_text.h"
#include "temp_dir.h"
#include "wait.h"

namespace sockwatch::it {

// A forked process renamed with PR_SET_NAME that listens on 127.0.0.1 and
// accepts every connection without ever reading or closing it. Each Leak()
// connects and closes a client: the holder's end sits in CLOSE_WAIT, owned
// by the holder, until the holder dies. The holder exits by itself after
// 10 minutes, or when the test process dies.
class CloseWaitHolder {
 public:
  // nullptr and *error on failure. `name` is cut to 15 bytes by the kernel.
  static std::unique_ptr<CloseWaitHolder> Start(const std::string& name,
                                                std::string* error);
  ~CloseWaitHolder();
  CloseWaitHolder(const CloseWaitHolder&) = delete;
  CloseWaitHolder& operator=(const CloseWaitHolder&) = delete;

  pid_t pid() const { return pid_; }
  // Makes one more CLOSE_WAIT socket in the holder. "" or a message.
  std::string Leak();
  // Leaks at `per_second` since the first call (catching up at most 5 at a
  // time), so that polling loops can keep a steady growth. "" or a message.
  std::string LeakOnSchedule(double per_second);
  int leaked() const { return leaked_; }
  // SIGKILLs the holder and reaps it: its sockets close. Idempotent.
  void Kill();

 private:
  CloseWaitHolder() = default;

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  int leaked_ = 0;
  Clock::time_point schedule_start_{};
};

// prometheus-alertmanager on 127.0.0.1:`port` with a single receiver that
// sends nowhere, its storage in a private directory that outlives restarts.
class Alertmanager {
 public:
  Alertmanager(Netns* netns, uint16_t port) : netns_(netns), port_(port) {}
  ~Alertmanager() { Stop(); }
  Alertmanager(const Alertmanager&) = delete;
  Alertmanager& operator=(const Alertmanager&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const;
  // Starts it and waits until /-/ready answers 200. "" or a message.
  std::string Start(milliseconds budget);
  // Stops it (SIGTERM, by pid); "" or how it ended when that was not clean.
  std::string Stop();
  // GET on it; nullopt and *error when there is no response.
  std::optional<HttpResponse> Get(const std::string& target,
                                  std::string* error) const;

 private:
  Netns* netns_;
  uint16_t port_;
  TempDir dir_;
  std::shared_ptr<Child> child_;
};

// One alert of a JSON alert list.
struct ListedAlert {
  Labels labels;
  Labels annotations;
  std::string state;          // sockwatch: pending/firing; AM: status.state
  std::string generator_url;  // Alertmanager only
};

// The alerts of sockwatch's GET /alerts body. nullopt when it does not have
// the expected shape.
std::optional<std::vector<ListedAlert>> ParseSockwatchAlerts(
    const std::string& json);
// The alerts of Alertmanager's GET /api/v2/alerts body.
std::optional<std::vector<ListedAlert>> ParseAlertmanagerAlerts(
    const std::string& json);

// The first alert whose labels include every pair of `filter`, or nullptr.
const ListedAlert* FindAlert(const std::vector<ListedAlert>& alerts,
                             const Labels& filter);

// "{a=\"1\", b=\"2\"}" for messages.
std::string FormatLabels(const Labels& labels);

// A TCP port nobody listens on in the current namespace; 0 on failure.
uint16_t FreeLoopbackPort();

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_ALERTING_HARNESS_H_
