// `sockwatch report`: a snapshot rendered for a terminal or as JSON.
// Pure functions of the snapshot.
#ifndef SOCKWATCH_DAEMON_REPORT_H_
#define SOCKWATCH_DAEMON_REPORT_H_

#include <string>

#include "daemon/snapshot.h"

namespace sockwatch {

struct ReportOptions {
  TcpState state = kCloseWait;  // the state listed by process
  size_t top = 10;              // processes listed
};

// The sockets in `options.state` by process (for CLOSE_WAIT: count, oldest
// age, open fds / limit, top remote peers and who closed first), then the
// per-state host summary and the busiest service ports, as aligned text.
std::string ReportTable(const Snapshot& snapshot, const ReportOptions& options);

// The same as one JSON object.
std::string ReportJson(const Snapshot& snapshot, const ReportOptions& options);

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_REPORT_H_
