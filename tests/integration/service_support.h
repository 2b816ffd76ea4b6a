// Support of the service integration tests (sd_notify, reload, logs): a
// unix datagram socket that plays systemd's NOTIFY_SOCKET, an HTTP call with
// any method (POST /-/reload), and small helpers on logs and /alerts.
//
// NotifySocket is not copyable and not thread-safe; the functions are
// stateless.
#ifndef SOCKWATCH_TESTS_INTEGRATION_SERVICE_SUPPORT_H_
#define SOCKWATCH_TESTS_INTEGRATION_SERVICE_SUPPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http_get.h"
#include "temp_dir.h"
#include "wait.h"

namespace sockwatch::it {

// One datagram received on the notify socket, and when it arrived.
struct NotifyMessage {
  std::string text;
  Clock::time_point at;
};

// A bound AF_UNIX SOCK_DGRAM socket in a private temp dir.
class NotifySocket {
 public:
  // Binds it; path() is empty and *error set on failure.
  explicit NotifySocket(std::string* error);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }
  // The next datagram within `budget`; nullopt on timeout.
  std::optional<NotifyMessage> Receive(milliseconds budget);
  // Receives until a message equal to `last` (a whole line of it, e.g.
  // "READY=1") arrives, within `budget` and at most 1000 messages; every
  // message received is appended to *seen. Whether `last` came.
  bool ReceiveUntil(const std::string& last, milliseconds budget,
                    std::vector<NotifyMessage>* seen);

 private:
  TempDir dir_;
  std::string path_;
  int fd_ = -1;
};

// Whether `message` has `line` as one of its newline-separated lines.
bool HasLine(const std::string& message, const std::string& line);
// The value of `KEY=` in a message ("" when absent).
std::string Field(const std::string& message, const std::string& key);
// Messages, one per line, for failure output.
std::string FormatMessages(const std::vector<NotifyMessage>& messages);

// `method` `target` on 127.0.0.1:`port` with an empty body; nullopt and
// *error when there is no valid response. Closed with an RST.
std::optional<HttpResponse> HttpCall(uint16_t port, const std::string& method,
                                     const std::string& target,
                                     milliseconds timeout, std::string* error);

// Non-empty lines of a log.
std::vector<std::string> Lines(const std::string& text);

// activeAt and state of the first alert with alertname `name` in a /alerts
// body; false when absent or the body is not the expected JSON.
bool FindActiveAlert(const std::string& body, const std::string& name,
                     std::string* state, std::string* active_at);

// Replaces `path` with `content` atomically (write and rename). "" or a
// message.
std::string ReplaceFile(const std::string& path, const std::string& content);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_SERVICE_SUPPORT_H_
