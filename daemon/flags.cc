#include "daemon/flags.h"

#include <getopt.h>

#include <cerrno>
#include <tuple>

#include "collectors/tcp_state.h"

namespace sockwatch {
namespace {

enum Option {
  kHelp = 'h',
  kVersion = 256,
  kListenAddress,
  kTelemetryPath,
  kConfigFile,
  kLogLevel,
  kRecordDump,
  kReplayDump,
  kJson,
  kLifecycle,
  kLogFormat,
  kWebConfig,
  kProcfs,
  kCgroupfs,
  kState,
  kTop,
};

const option kOptions[] = {
    {"help", no_argument, nullptr, kHelp},
    {"version", no_argument, nullptr, kVersion},
    {"web.listen-address", required_argument, nullptr, kListenAddress},
    {"web.telemetry-path", required_argument, nullptr, kTelemetryPath},
    {"config.file", required_argument, nullptr, kConfigFile},
    {"log.level", required_argument, nullptr, kLogLevel},
    {"debug.record-dump", required_argument, nullptr, kRecordDump},
    {"debug.replay-dump", required_argument, nullptr, kReplayDump},
    {"json", no_argument, nullptr, kJson},
    {"web.enable-lifecycle", no_argument, nullptr, kLifecycle},
    {"log.format", required_argument, nullptr, kLogFormat},
    {"web.config.file", required_argument, nullptr, kWebConfig},
    {"path.procfs", required_argument, nullptr, kProcfs},
    {"path.cgroupfs", required_argument, nullptr, kCgroupfs},
    {"state", required_argument, nullptr, kState},
    {"top", required_argument, nullptr, kTop},
    {nullptr, 0, nullptr, 0},
};

Status FlagError(const std::string& flag, const std::string& problem) {
  return Status::Error("flag --" + flag + ": " + problem, EINVAL);
}

}  // namespace

std::string Usage() {
  return R"(usage: sockwatch [flags]          run the daemon
       sockwatch report [flags]   sample once and print a summary

Finds TCP connection leaks: samples every TCP socket through netlink
(NETLINK_SOCK_DIAG) and exports state counts to Prometheus.

Flags:
  -h, --help                    show this help and exit
      --version                 show the version and exit
      --config.file=FILE        YAML configuration file (optional; built-in
                                defaults otherwise)
      --web.listen-address=ADDR address to serve HTTP on
                                (default 127.0.0.1:9977; ":9977" for all)
      --web.telemetry-path=PATH path of the metrics endpoint (default /metrics)
      --log.level=LEVEL         debug, info, warn or error (default info)
      --log.format=FORMAT       logfmt, json or text (default logfmt); under
                                systemd lines carry syslog priorities and
                                no timestamp
      --debug.record-dump=FILE  write the first sample's raw netlink replies
                                to FILE (for bug reports)
      --debug.replay-dump=FILE  read sockets from a recorded FILE instead of
                                the kernel
      --web.config.file=FILE    basic auth for every endpoint
                                (Prometheus exporter-toolkit format)
      --web.enable-lifecycle    allow POST /-/reload to reload the config
      --path.procfs=DIR         where procfs is mounted (default /proc)
      --path.cgroupfs=DIR       where the cgroup v2 hierarchy is mounted
                                (default /sys/fs/cgroup)

Report flags:
      --state=STATE             the state to list by process (default
                                close_wait)
      --top=N                   processes to list (default 10)
      --json                    print JSON instead of a table

A flag overrides the same setting in the config file.
)";
}

Status ParseFlags(int argc, char** argv, Flags* flags) {
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":h", kOptions, nullptr)) != -1) {
    switch (c) {
      case kHelp:
        flags->help = true;
        break;
      case kVersion:
        flags->version = true;
        break;
      case kListenAddress:
        flags->listen_address = optarg;
        break;
      case kTelemetryPath:
        flags->telemetry_path = optarg;
        break;
      case kConfigFile:
        flags->config_file = optarg;
        break;
      case kLogLevel:
        flags->log_level = optarg;
        break;
      case kRecordDump:
        flags->record_dump = optarg;
        break;
      case kReplayDump:
        flags->replay_dump = optarg;
        break;
      case kJson:
        flags->json = true;
        break;
      case kLifecycle:
        flags->enable_lifecycle = true;
        break;
      case kLogFormat:
        flags->log_format = optarg;
        break;
      case kWebConfig:
        flags->web_config_file = optarg;
        break;
      case kProcfs:
        flags->procfs = optarg;
        break;
      case kCgroupfs:
        flags->cgroupfs = optarg;
        break;
      case kState:
        flags->state = optarg;
        break;
      case kTop: {
        std::string text = optarg;
        if (text.empty() || text.size() > 6 ||
            text.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(text) == 0) {
          return Status::Error("flag --top: expected a whole number >= 1",
                               EINVAL);
        }
        flags->top = std::stoul(text);
        break;
      }
      case ':':
        return Status::Error(
            std::string("flag ") + argv[optind - 1] + " needs a value", EINVAL);
      default:
        return Status::Error(std::string("unknown flag ") + argv[optind - 1],
                             EINVAL);
    }
  }
  if (optind < argc) {
    flags->command = argv[optind++];
    if (flags->command != "report") {
      return Status::Error("unknown command \"" + flags->command + "\"",
                           EINVAL);
    }
  }
  if (optind < argc) {
    return Status::Error(std::string("unexpected argument ") + argv[optind],
                         EINVAL);
  }
  bool report_flag =
      flags->json || flags->state != "close_wait" || flags->top != 10;
  if (report_flag && flags->command != "report") {
    return Status::Error(
        "flags --json, --state and --top belong to `sockwatch report`", EINVAL);
  }
  if (!StateFromName(flags->state)) {
    return Status::Error("flag --state: unknown state \"" + flags->state +
                             "\" (e.g. close_wait, fin_wait2, established)",
                         EINVAL);
  }
  return Status::Ok();
}

Status ApplyFlags(const Flags& flags, Config* config) {
  if (flags.listen_address) {
    if (!ParseListenAddress(*flags.listen_address)) {
      return FlagError("web.listen-address",
                       "invalid address \"" + *flags.listen_address +
                           "\" (use host:port, e.g. 127.0.0.1:9977)");
    }
    config->listen_address = *flags.listen_address;
  }
  if (flags.telemetry_path) {
    std::string problem = CheckTelemetryPath(*flags.telemetry_path);
    if (!problem.empty()) return FlagError("web.telemetry-path", problem);
    config->telemetry_path = *flags.telemetry_path;
  }
  for (auto [flag, value, field] :
       {std::tuple{"path.procfs", &flags.procfs, &config->procfs},
        std::tuple{"path.cgroupfs", &flags.cgroupfs, &config->cgroupfs}}) {
    if (!*value) continue;
    if (value->value().empty() || value->value()[0] != '/') {
      return FlagError(flag, "expected an absolute path");
    }
    *field = value->value();
  }
  if (flags.log_format) {
    std::string problem = CheckLogFormat(*flags.log_format);
    if (!problem.empty()) return FlagError("log.format", problem);
    config->log_format = *flags.log_format;
  }
  if (flags.log_level) {
    std::string problem = CheckLogLevel(*flags.log_level);
    if (!problem.empty()) return FlagError("log.level", problem);
    config->log_level = *flags.log_level;
  }
  return Status::Ok();
}

}  // namespace sockwatch
