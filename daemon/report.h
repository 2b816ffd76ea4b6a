// `sockwatch report`: a snapshot rendered for a terminal or as JSON.
// Pure functions of the snapshot.
#ifndef SOCKWATCH_DAEMON_REPORT_H_
#define SOCKWATCH_DAEMON_REPORT_H_

#include <string>

#include "daemon/snapshot.h"

namespace sockwatch {

// Per-state host summary and the busiest service ports, as aligned text.
std::string ReportTable(const Snapshot& snapshot);

// The same as one JSON object.
std::string ReportJson(const Snapshot& snapshot);

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_REPORT_H_
