// Child: one process started by a test, with its stdout and stderr captured in
// private log files, always reaped.
//
// Spawn() forks and execs argv (argv[0] is looked up on PATH). The child
// inherits the calling thread's network namespace, gets stdin from a file or
// /dev/null, no other descriptor of the test, and SIGKILL if the test process
// dies. Stop() sends a signal (SIGTERM by default), waits a bounded time, then
// sends SIGKILL; the destructor calls Stop(). Everything goes by pid: no
// process is ever signalled by name. When the current gtest test has failed,
// the destructor prints the tail of the logs to stderr.
//
// Not copyable; owned through shared_ptr so that a Netns can also stop the
// children it started. Not thread-safe.
#ifndef SOCKWATCH_TESTS_INTEGRATION_CHILD_H_
#define SOCKWATCH_TESTS_INTEGRATION_CHILD_H_

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "temp_dir.h"
#include "wait.h"

namespace sockwatch::it {

// How a child ended.
struct ExitStatus {
  bool exited = false;  // exited by itself with `code`
  int code = -1;
  int signal = 0;       // killed by this signal
  bool forced = false;  // we had to send SIGKILL after the grace period

  bool Ok() const { return exited && code == 0; }
  std::string ToString() const;
};

struct SpawnOptions {
  std::vector<std::string> argv;
  std::string stdin_path;  // "" means /dev/null
  std::string cwd;         // "" means inherit
};

class Child {
 public:
  // Starts the process. On failure (fork, exec, log files) returns nullptr
  // and sets *error.
  static std::shared_ptr<Child> Spawn(const SpawnOptions& options,
                                      std::string* error);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // Short name for messages: basename of argv[0] and the pid.
  std::string name() const;

  // Reaps the process if it has exited; true while it runs.
  bool Running();
  // Waits up to `budget` for the process to exit by itself; its status, or
  // nullopt if it still runs.
  std::optional<ExitStatus> Wait(milliseconds budget);
  // Sends `signal`, waits up to `grace`, then SIGKILLs and reaps. Idempotent:
  // returns the recorded status once the process is gone.
  ExitStatus Stop(milliseconds grace = milliseconds(5000),
                  int signal = SIGTERM);

  // Whether the destructor prints the logs when the test has failed (on by
  // default; RunCommand turns it off, it returns the output itself).
  void set_report_on_failure(bool report) { report_on_failure_ = report; }

  // Everything the process wrote so far.
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  Child() = default;
  bool Reap(bool block);

  pid_t pid_ = -1;
  std::string argv0_;
  std::optional<ExitStatus> status_;
  bool report_on_failure_ = true;
  TempDir logs_;
};

// Result of running a command to completion.
struct CommandResult {
  ExitStatus status;
  std::string out;
  std::string err;
  double seconds = 0;       // wall time from spawn to exit
  std::string spawn_error;  // non-empty when it could not be started
};

// Runs argv with stdin from `stdin_path` ("" = /dev/null), waits up to
// `budget`, then SIGKILLs. Never throws.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         milliseconds budget,
                         const std::string& stdin_path = "");

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_CHILD_H_
