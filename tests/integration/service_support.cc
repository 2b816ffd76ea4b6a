#include "service_support.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "attribution_json.h"
#include "loopback.h"

namespace sockwatch::it {

NotifySocket::NotifySocket(std::string* error) {
  const std::string path = dir_.File("notify.sock");
  sockaddr_un addr{};
  if (dir_.path().empty() || path.size() >= sizeof(addr.sun_path)) {
    *error = "no usable temp dir for the notify socket";
    return;
  }
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = std::string("socket(AF_UNIX): ") + strerror(errno);
    return;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = "bind " + path + ": " + strerror(errno);
    return;
  }
  path_ = path;
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) close(fd_);
}

std::optional<NotifyMessage> NotifySocket::Receive(milliseconds budget) {
  if (fd_ < 0) return std::nullopt;
  const Deadline deadline(budget);
  char buf[4096];
  for (int round = 0; round < 1000; ++round) {
    pollfd p = {fd_, POLLIN, 0};
    const int ready =
        poll(&p, 1, static_cast<int>(deadline.Remaining().count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    const ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return std::nullopt;
    return NotifyMessage{std::string(buf, n), Clock::now()};
  }
  return std::nullopt;
}

bool NotifySocket::ReceiveUntil(const std::string& last, milliseconds budget,
                                std::vector<NotifyMessage>* seen) {
  const Deadline deadline(budget);
  for (int i = 0; i < 1000 && !deadline.Expired(); ++i) {
    auto message = Receive(deadline.Remaining());
    if (!message) return false;
    seen->push_back(*message);
    if (HasLine(message->text, last)) return true;
  }
  return false;
}

bool HasLine(const std::string& message, const std::string& line) {
  for (const std::string& l : Lines(message)) {
    if (l == line) return true;
  }
  return false;
}

std::string Field(const std::string& message, const std::string& key) {
  for (const std::string& l : Lines(message)) {
    if (l.rfind(key + "=", 0) == 0) return l.substr(key.size() + 1);
  }
  return "";
}

std::string FormatMessages(const std::vector<NotifyMessage>& messages) {
  std::string out;
  const Clock::time_point start =
      messages.empty() ? Clock::now() : messages.front().at;
  for (const NotifyMessage& m : messages) {
    char at[32];
    std::snprintf(at, sizeof(at), "+%.3fs ",
                  std::chrono::duration<double>(m.at - start).count());
    std::string text = m.text;
    for (char& c : text) {
      if (c == '\n') c = '|';
    }
    out += at + text + "\n";
  }
  return out;
}

std::optional<HttpResponse> HttpCall(uint16_t port, const std::string& method,
                                     const std::string& target,
                                     milliseconds timeout, std::string* error) {
  const Deadline deadline(timeout);
  const std::string what = method + " " + target;
  const int fd = ConnectTo("127.0.0.1", port, true, 0, timeout, error);
  if (fd < 0) {
    *error = what + ": " + *error;
    return std::nullopt;
  }
  const std::string request =
      method + " " + target +
      " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
      "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  std::string raw;
  bool eof = false;
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
      static_cast<ssize_t>(request.size())) {
    char buf[8192];
    for (int round = 0; round < 10000 && !deadline.Expired(); ++round) {
      pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(deadline.Remaining().count())) <= 0) {
        continue;  // EINTR or timeout: the deadline decides
      }
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        eof = true;
        break;
      }
      raw.append(buf, n);
      const size_t blank = raw.find("\r\n\r\n");
      const size_t cl = raw.find("Content-Length: ");
      if (blank != std::string::npos && cl != std::string::npos && cl < blank &&
          raw.size() >= blank + 4 + std::stoul(raw.substr(cl + 16))) {
        break;
      }
    }
  }
  linger abort = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  close(fd);
  const size_t blank = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || blank == std::string::npos ||
      raw.size() < 12) {
    *error = what + ": no valid response (" + std::to_string(raw.size()) +
             " bytes" + (eof ? ", EOF" : "") + ")";
    return std::nullopt;
  }
  HttpResponse response;
  response.status = std::atoi(raw.c_str() + 9);
  response.body = raw.substr(blank + 4);
  return response;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    if (end > begin) out.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

bool FindActiveAlert(const std::string& body, const std::string& name,
                     std::string* state, std::string* active_at) {
  std::string error;
  auto json = Json::Parse(body, &error);
  if (!json) return false;
  for (const Json& alert : (*json)["data"]["alerts"].Items()) {
    if (alert["labels"]["alertname"].String() != name) continue;
    *state = alert["state"].String();
    *active_at = alert["activeAt"].String();
    return true;
  }
  return false;
}

std::string ReplaceFile(const std::string& path, const std::string& content) {
  const std::string temp = path + ".new";
  FILE* f = std::fopen(temp.c_str(), "w");
  if (f == nullptr) return "open " + temp + ": " + strerror(errno);
  const bool written =
      std::fwrite(content.data(), 1, content.size(), f) == content.size();
  if (std::fclose(f) != 0 || !written) return "write " + temp + " failed";
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    return "rename to " + path + ": " + strerror(errno);
  }
  return "";
}

}  // namespace sockwatch::it
