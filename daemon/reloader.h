// Reloader: re-reads the config file (SIGHUP or POST /-/reload) and swaps
// in what may change while running: rules, Alertmanager targets, interval,
// caps, attribution and log level. The listen address and telemetry path
// need a restart, and the log says so. An invalid file is rejected with its
// file/line/key message and the running config stays. Thread-safe (reloads
// are serialized).
#ifndef SOCKWATCH_DAEMON_RELOADER_H_
#define SOCKWATCH_DAEMON_RELOADER_H_

#include <mutex>

#include "config/config.h"
#include "daemon/flags.h"
#include "daemon/metrics.h"
#include "daemon/notifier.h"
#include "daemon/rule_engine.h"
#include "daemon/sampler.h"
#include "daemon/service_notify.h"

namespace sockwatch {

class Reloader {
 public:
  struct Parts {
    Sampler* sampler;
    RuleEngine* engine;
    Notifier* notifier;
    Metrics* metrics;
    ServiceNotify* service;
  };
  Reloader(Config running, Flags flags, Parts parts);

  // Loads the file again; the error (for a 400 response) when it is
  // invalid, in which case nothing changes.
  Status Reload();

 private:
  std::mutex mu_;
  Config running_;
  Flags flags_;
  Parts parts_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_RELOADER_H_
