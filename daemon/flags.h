// Command-line flags, in the Prometheus exporter spelling, and how they
// override the YAML config (a flag always wins over the same YAML key).
#ifndef SOCKWATCH_DAEMON_FLAGS_H_
#define SOCKWATCH_DAEMON_FLAGS_H_

#include <optional>
#include <string>

#include "config/config.h"
#include "daemon/status.h"

namespace sockwatch {

struct Flags {
  std::string command;  // "" runs the daemon; "report" samples once
  bool help = false;
  bool version = false;
  std::string config_file;
  std::string web_config_file;  // --web.config.file
  std::optional<std::string> listen_address;
  std::optional<std::string> telemetry_path;
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;
  std::optional<std::string> procfs;    // --path.procfs
  std::optional<std::string> cgroupfs;  // --path.cgroupfs
  std::string record_dump;              // --debug.record-dump
  std::string replay_dump;              // --debug.replay-dump
  bool enable_lifecycle = false;     // --web.enable-lifecycle: POST /-/reload
  bool json = false;                 // report --json
  std::string state = "close_wait";  // report --state
  size_t top = 10;                   // report --top
};

// Parses argv. Error status with a one-line message on bad usage.
Status ParseFlags(int argc, char** argv, Flags* flags);

// The --help text.
std::string Usage();

// Copies flag values over `config`, checking each like the YAML loader does.
Status ApplyFlags(const Flags& flags, Config* config);

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_FLAGS_H_
