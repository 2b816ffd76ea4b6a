// Build identity, filled in by CMake.
#ifndef SOCKWATCH_DAEMON_VERSION_H_
#define SOCKWATCH_DAEMON_VERSION_H_

namespace sockwatch {

extern const char kVersion[];
extern const char kRevision[];

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_VERSION_H_
