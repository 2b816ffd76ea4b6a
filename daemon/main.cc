// sockwatch: finds TCP connection leaks. Entry point: flags, config, then
// the daemon or `sockwatch report`.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "collectors/dump_file.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "daemon/flags.h"
#include "daemon/log_format.h"
#include "daemon/version.h"

int main(int argc, char** argv) {
  using namespace sockwatch;
  Flags flags;
  Status status = ParseFlags(argc, argv, &flags);
  if (!status.ok()) {
    std::fprintf(stderr, "sockwatch: %s\nTry 'sockwatch --help'.\n",
                 status.message().c_str());
    return 2;
  }
  if (flags.help) {
    std::fputs(Usage().c_str(), stdout);
    return 0;
  }
  if (flags.version) {
    std::printf("sockwatch version %s (revision %s)\n", kVersion, kRevision);
    return 0;
  }

  Config config;
  if (!flags.config_file.empty()) {
    status = LoadConfigFile(flags.config_file, &config);
  }
  if (status.ok()) status = ApplyFlags(flags, &config);
  if (!status.ok()) {
    std::fprintf(stderr, "sockwatch: %s\n", status.message().c_str());
    return 1;
  }

  // Logs go to stderr: stdout is for `report` output.
  LogFormat format = LogFormat::kLogfmt;
  ParseLogFormat(config.log_format, &format);  // checked when loaded
  SetUpLogging(format, config.log_level);

  Sampler::TransportFactory factory;
  if (!flags.replay_dump.empty()) {
    std::string path = flags.replay_dump;
    factory = [path](Status* s) -> std::unique_ptr<NetlinkTransport> {
      return ReplayTransport::Open(path, s);
    };
  } else {
    factory = [](Status* s) -> std::unique_ptr<NetlinkTransport> {
      return MnlTransport::Open(s);
    };
  }
  if (flags.command == "report") return RunReport(config, flags, factory);
  return RunDaemon(config, flags, factory);
}
