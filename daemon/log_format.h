// LogFormatter: how sockwatch's log lines look (spdlog formatter).
//
//   text    2026-11-21T12:00:00.000Z info listening on ...
//   logfmt  ts=2026-11-21T12:00:00.000Z level=info msg="listening on ..."
//   json    {"ts":"2026-11-21T12:00:00.000Z","level":"info","msg":"..."}
//
// Under systemd (JOURNAL_STREAM set) lines carry no timestamp of their own,
// journald adds one, and start with the syslog priority ("<6>") so the
// journal keeps the level. Immutable; thread-safe as spdlog requires.
#ifndef SOCKWATCH_DAEMON_LOG_FORMAT_H_
#define SOCKWATCH_DAEMON_LOG_FORMAT_H_

#include <spdlog/formatter.h>

#include <memory>
#include <string>

namespace sockwatch {

enum class LogFormat { kText, kLogfmt, kJson };

// "text", "logfmt" or "json"; false for anything else.
bool ParseLogFormat(const std::string& name, LogFormat* out);

class LogFormatter final : public spdlog::formatter {
 public:
  LogFormatter(LogFormat format, bool journal)
      : format_(format), journal_(journal) {}
  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LogFormatter>(format_, journal_);
  }

 private:
  LogFormat format_;
  bool journal_;
};

// Sends spdlog's default logger to stderr in `format`, journald-aware.
void SetUpLogging(LogFormat format, const std::string& level);

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_LOG_FORMAT_H_
