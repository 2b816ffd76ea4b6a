#include "daemon/log_format.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "daemon/socket_format.h"

namespace sockwatch {
namespace {

// syslog priorities (sd-daemon.h's SD_ERR etc.) by spdlog level.
const char* Priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "<7>";
    case spdlog::level::info:
      return "<6>";
    case spdlog::level::warn:
      return "<4>";
    case spdlog::level::err:
      return "<3>";
    case spdlog::level::critical:
      return "<2>";
    default:
      return "<6>";
  }
}

const char* LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "info";
  }
}

std::string Timestamp(spdlog::log_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                t.time_since_epoch())
                .count();
  time_t secs = static_cast<time_t>(ms / 1000);
  tm utc;
  gmtime_r(&secs, &utc);
  char buf[40];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ",
                static_cast<int>(ms % 1000));
  return buf;
}

void Append(spdlog::memory_buf_t& dest, const std::string& s) {
  dest.append(s.data(), s.data() + s.size());
}

// systemd sets JOURNAL_STREAM=<device>:<inode> of the stream it connected;
// it only counts if stderr still is that stream (not, say, a file a parent
// redirected us to while the variable was inherited).
bool StderrIsJournal() {
  const char* value = std::getenv("JOURNAL_STREAM");
  unsigned long long dev = 0, ino = 0;
  if (value == nullptr || std::sscanf(value, "%llu:%llu", &dev, &ino) != 2) {
    return false;
  }
  struct stat st;
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

}  // namespace

bool ParseLogFormat(const std::string& name, LogFormat* out) {
  if (name == "text")
    *out = LogFormat::kText;
  else if (name == "logfmt")
    *out = LogFormat::kLogfmt;
  else if (name == "json")
    *out = LogFormat::kJson;
  else
    return false;
  return true;
}

void LogFormatter::format(const spdlog::details::log_msg& msg,
                          spdlog::memory_buf_t& dest) {
  std::string text(msg.payload.data(), msg.payload.size());
  std::string line;
  if (journal_) line = Priority(msg.level);
  switch (format_) {
    case LogFormat::kText:
      if (!journal_) line += Timestamp(msg.time) + " ";
      line += std::string(LevelName(msg.level)) + " " + text;
      break;
    case LogFormat::kLogfmt:
      if (!journal_) line += "ts=" + Timestamp(msg.time) + " ";
      line += std::string("level=") + LevelName(msg.level) +
              " msg=" + JsonString(text);
      break;
    case LogFormat::kJson:
      line += "{";
      if (!journal_) line += "\"ts\":\"" + Timestamp(msg.time) + "\",";
      line += std::string("\"level\":\"") + LevelName(msg.level) +
              "\",\"msg\":" + JsonString(text) + "}";
      break;
  }
  line += "\n";
  Append(dest, line);
}

void SetUpLogging(LogFormat format, const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("sockwatch");
  logger->set_formatter(
      std::make_unique<LogFormatter>(format, StderrIsJournal()));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace sockwatch
