// Status: the error value used inside sockwatch's core instead of exceptions.
//
// A Status is either ok() or carries a message and, for kernel failures, the
// errno that caused it. Libraries that throw (yaml-cpp, prometheus-cpp) are
// wrapped at the edge and turned into a Status. Cheap to copy; immutable.
#ifndef SOCKWATCH_DAEMON_STATUS_H_
#define SOCKWATCH_DAEMON_STATUS_H_

#include <string>
#include <utility>

namespace sockwatch {

class Status {
 public:
  Status() = default;

  static Status Ok() { return Status(); }
  static Status Error(std::string message, int err = 0) {
    return Status(std::move(message), err);
  }

  bool ok() const { return !failed_; }
  // errno of the failure, or 0 when none applies.
  int err() const { return err_; }
  const std::string& message() const { return message_; }

 private:
  Status(std::string message, int err)
      : failed_(true), err_(err), message_(std::move(message)) {}

  bool failed_ = false;
  int err_ = 0;
  std::string message_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_STATUS_H_
