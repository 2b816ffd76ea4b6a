// The two ways sockwatch runs: as the daemon (sample every interval, serve
// HTTP until SIGTERM) and as `sockwatch report` (sample once, print).
#ifndef SOCKWATCH_DAEMON_DAEMON_H_
#define SOCKWATCH_DAEMON_DAEMON_H_

#include "config/config.h"
#include "daemon/flags.h"
#include "daemon/sampler.h"

namespace sockwatch {

// Runs the daemon in the foreground; returns the process exit code.
int RunDaemon(const Config& config, const Flags& flags,
              Sampler::TransportFactory factory);

// Samples once and prints the summary; returns the process exit code.
int RunReport(const Config& config, const Flags& flags,
              Sampler::TransportFactory factory);

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_DAEMON_H_
