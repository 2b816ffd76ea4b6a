// ServiceNotify: tells systemd (Type=notify) what the daemon is doing,
// through libsystemd's sd_notify. Every call is a no-op when NOTIFY_SOCKET
// is not set, so the daemon runs the same outside systemd. Thread-safe.
#ifndef SOCKWATCH_DAEMON_SERVICE_NOTIFY_H_
#define SOCKWATCH_DAEMON_SERVICE_NOTIFY_H_

#include <atomic>
#include <string>

namespace sockwatch {

class ServiceNotify {
 public:
  ServiceNotify();

  // READY=1, once: after the port is bound and the first sample is in.
  void Ready();
  // STATUS=<line>, e.g. after each sample.
  void Status(const std::string& line);
  // WATCHDOG=1 when systemd asked for a watchdog (WatchdogSec=); called
  // from the sampling loop so that a stuck sampler gets the service
  // restarted.
  void Watchdog();
  // RELOADING=1 before a reload, READY=1 after it.
  void Reloading();
  void Reloaded();
  // STOPPING=1 at shutdown.
  void Stopping();

  bool watchdog_enabled() const { return watchdog_usec_ > 0; }
  // Half the watchdog period: the longest the sampler may go between
  // Watchdog() calls; 0 without a watchdog.
  uint64_t watchdog_interval_usec() const { return watchdog_usec_ / 2; }

 private:
  uint64_t watchdog_usec_ = 0;
  std::atomic<bool> ready_{false};
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_SERVICE_NOTIFY_H_
