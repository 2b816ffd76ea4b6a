#include "daemon/service_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

namespace sockwatch {

ServiceNotify::ServiceNotify() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0) watchdog_usec_ = usec;
}

void ServiceNotify::Ready() {
  if (!ready_.exchange(true)) sd_notify(0, "READY=1");
}

void ServiceNotify::Status(const std::string& line) {
  sd_notifyf(0, "STATUS=%s", line.c_str());
}

void ServiceNotify::Watchdog() {
  if (watchdog_enabled()) sd_notify(0, "WATCHDOG=1");
}

void ServiceNotify::Reloading() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
             static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                 now.tv_nsec / 1000);
}

void ServiceNotify::Reloaded() {
  if (ready_) sd_notify(0, "READY=1");
}

void ServiceNotify::Stopping() { sd_notify(0, "STOPPING=1"); }

}  // namespace sockwatch
