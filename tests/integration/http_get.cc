#include "http_get.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include "loopback.h"

namespace sockwatch::it {
namespace {

// Closes with an RST: no TIME_WAIT on our side, and a server side already in
// FIN_WAIT2 is torn down too.
void AbortClose(int fd) {
  linger abort = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  close(fd);
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(tolower(c));
  return text;
}

// Parses the status line and headers of `head` (up to the blank line).
bool ParseHead(const std::string& head, HttpResponse* response) {
  size_t end = head.find("\r\n");
  const std::string status_line = head.substr(0, end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
    return false;
  }
  response->status = atoi(status_line.c_str() + 9);
  while (end != std::string::npos && end + 2 < head.size()) {
    const size_t begin = end + 2;
    end = head.find("\r\n", begin);
    const std::string line = head.substr(begin, end - begin);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t value = colon + 1;
    while (value < line.size() && line[value] == ' ') ++value;
    response->headers[Lower(line.substr(0, colon))] = line.substr(value);
  }
  return response->status >= 100;
}

// Decodes a complete chunked body; false while incomplete.
bool Dechunk(const std::string& raw, std::string* body) {
  body->clear();
  size_t pos = 0;
  for (int chunks = 0; chunks < 1000000; ++chunks) {
    const size_t eol = raw.find("\r\n", pos);
    if (eol == std::string::npos) return false;
    const size_t size = strtoul(raw.c_str() + pos, nullptr, 16);
    if (size == 0) return true;
    if (eol + 2 + size + 2 > raw.size()) return false;
    body->append(raw, eol + 2, size);
    pos = eol + 2 + size + 2;
  }
  return false;
}

// True once `raw` (headers parsed into `response`) holds the whole body.
bool Complete(const std::string& raw, size_t body_start,
              HttpResponse* response) {
  const std::string data = raw.substr(body_start);
  auto te = response->headers.find("transfer-encoding");
  if (te != response->headers.end() && Lower(te->second) == "chunked") {
    return Dechunk(data, &response->body);
  }
  auto cl = response->headers.find("content-length");
  if (cl != response->headers.end()) {
    const size_t length = strtoul(cl->second.c_str(), nullptr, 10);
    if (data.size() < length) return false;
    response->body = data.substr(0, length);
    return true;
  }
  return false;  // until EOF
}

}  // namespace

std::optional<HttpResponse> HttpGet(const std::string& host, uint16_t port,
                                    const std::string& target,
                                    milliseconds timeout, std::string* error) {
  const Deadline deadline(timeout);
  const std::string what = "GET " + host + ":" + std::to_string(port) + target;
  const int fd = ConnectTo(host, port, true, 0, timeout, error);
  if (fd < 0) {
    *error = what + ": " + *error;
    return std::nullopt;
  }
  const std::string bracketed =
      host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const std::string request = "GET " + target +
                              " HTTP/1.1\r\nHost: " + bracketed + ":" +
                              std::to_string(port) +
                              "\r\nUser-Agent: sockwatch-integration-test"
                              "\r\nConnection: close\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    *error = what + ": send: " + strerror(errno);
    AbortClose(fd);
    return std::nullopt;
  }
  std::string raw;
  HttpResponse response;
  size_t body_start = std::string::npos;
  bool done = false;
  char buf[16384];
  for (int round = 0; round < 100000 && !done; ++round) {
    pollfd p = {fd, POLLIN, 0};
    const int ready =
        poll(&p, 1, static_cast<int>(deadline.Remaining().count()));
    if (ready == 0 || deadline.Expired()) {
      *error = what + ": timed out after " + std::to_string(timeout.count()) +
               " ms with " + std::to_string(raw.size()) + " bytes";
      break;
    }
    const ssize_t n = ready < 0 ? -1 : recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = what + ": recv: " + strerror(errno);
      break;
    }
    if (n == 0) {  // EOF: the body ends here unless framed otherwise
      if (body_start != std::string::npos &&
          response.headers.count("content-length") == 0 &&
          response.headers.count("transfer-encoding") == 0) {
        response.body = raw.substr(body_start);
        done = true;
      } else {
        *error = what + ": connection closed before the whole response";
      }
      break;
    }
    raw.append(buf, n);
    if (body_start == std::string::npos) {
      const size_t blank = raw.find("\r\n\r\n");
      if (blank == std::string::npos) continue;
      if (!ParseHead(raw.substr(0, blank + 2), &response)) {
        *error = what + ": malformed response head";
        break;
      }
      body_start = blank + 4;
    }
    done = Complete(raw, body_start, &response);
  }
  AbortClose(fd);
  if (!done) return std::nullopt;
  return response;
}

std::string UrlEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace sockwatch::it
