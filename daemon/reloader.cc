#include "daemon/reloader.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace sockwatch {
namespace {

double UnixNow() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Reloader::Reloader(Config running, Flags flags, Parts parts)
    : running_(std::move(running)), flags_(std::move(flags)), parts_(parts) {}

Status Reloader::Reload() {
  std::lock_guard<std::mutex> lock(mu_);
  parts_.service->Reloading();
  Config next;
  Status status;
  if (!flags_.config_file.empty()) {
    status = LoadConfigFile(flags_.config_file, &next);
  }
  if (status.ok()) status = ApplyFlags(flags_, &next);
  if (!status.ok()) {
    spdlog::error("reload rejected, keeping the running configuration: {}",
                  status.message());
    parts_.metrics->ObserveReload(false, UnixNow());
    parts_.service->Reloaded();
    return status;
  }
  for (auto [name, before, after] :
       {std::tuple{"web.listen_address", running_.listen_address,
                   next.listen_address},
        std::tuple{"web.telemetry_path", running_.telemetry_path,
                   next.telemetry_path},
        std::tuple{"paths.procfs", running_.procfs, next.procfs},
        std::tuple{"paths.cgroupfs", running_.cgroupfs, next.cgroupfs}}) {
    if (before != after) {
      spdlog::warn("{} changed from {} to {}: takes effect after a restart",
                   name, before, after);
    }
  }
  spdlog::set_level(spdlog::level::from_str(next.log_level));
  parts_.sampler->Retune(next);
  parts_.engine->SetRules(next.rules);
  parts_.notifier->SetConfig(next.alerting);
  spdlog::info("configuration reloaded: {} rules, {} Alertmanagers",
               next.rules.size(), next.alerting.alertmanagers.size());
  // What needs a restart keeps its running value.
  next.listen_address = running_.listen_address;
  next.telemetry_path = running_.telemetry_path;
  next.procfs = running_.procfs;
  next.cgroupfs = running_.cgroupfs;
  running_ = std::move(next);
  parts_.metrics->ObserveReload(true, UnixNow());
  parts_.service->Reloaded();
  return Status::Ok();
}

}  // namespace sockwatch
