// Notifier: pushes alerts to Alertmanager (API v2) from its own thread.
//
// Update() hands over the alerts of an evaluation and returns at once: the
// sampler never waits on the network. The sender POSTs firing alerts to
// every configured Alertmanager at `/api/v2/alerts` when they start firing
// and again every resend_interval, and resolved alerts once more with
// endsAt. A failed POST is retried with exponential backoff (1 s doubling
// to 30 s); each attempt has the configured timeout. Memory is bounded: at
// most kMaxPending alerts wait to be sent, the oldest resolved ones are
// dropped beyond that and counted. Thread-safe.
#ifndef SOCKWATCH_DAEMON_NOTIFIER_H_
#define SOCKWATCH_DAEMON_NOTIFIER_H_

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/rules.h"
#include "daemon/metrics.h"
#include "daemon/rule_engine.h"

namespace sockwatch {

class Notifier {
 public:
  static constexpr size_t kMaxPending = 10000;

  // `generator_url` is sent as each alert's generatorURL.
  Notifier(AlertingConfig config, std::string generator_url, Metrics* metrics);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Replaces the Alertmanager list and timings (on reload).
  void SetConfig(AlertingConfig config);
  // Takes the result of one evaluation (pending alerts are ignored).
  void Update(const std::vector<Alert>& alerts, double now);

  // The JSON body sent for `alerts` (exposed for tests).
  static std::string Body(const std::vector<Alert>& alerts,
                          const std::string& generator_url,
                          double resend_seconds);

 private:
  struct Entry {
    Alert alert;
    std::map<std::string, double> sent;  // per Alertmanager; 0: not yet
  };

  void Run();
  // Frees a slot by dropping the oldest unsent resolution (counted); false
  // when every waiting alert is firing. Needs mu_.
  bool DropOneResolved();
  // POSTs `body` to one Alertmanager; true on a 2xx answer.
  bool Post(const std::string& base_url, const std::string& body,
            long timeout_ms);

  std::string generator_url_;
  Metrics* metrics_;

  std::mutex mu_;
  std::condition_variable wake_;
  AlertingConfig config_;
  std::map<std::string, Entry> entries_;    // by alert fingerprint
  std::map<std::string, double> retry_at_;  // per Alertmanager URL
  std::map<std::string, int> failures_;     // consecutive, per URL
  bool stopping_ = false;
  std::thread thread_;
};

// A stable identity of an alert: its rule and sorted labels.
std::string Fingerprint(const Alert& alert);

// RFC 3339 UTC with milliseconds ("2026-11-21T12:00:00.000Z").
std::string Rfc3339(double unix_seconds);

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_NOTIFIER_H_
