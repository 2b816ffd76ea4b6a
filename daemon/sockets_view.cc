#include "daemon/sockets_view.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cerrno>

#include "daemon/socket_format.h"

namespace sockwatch {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX and '+'; false on a broken escape.
bool UrlDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out->push_back(' ');
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

// A whole number in [min, max], or -1.
long Number(const std::string& text, long min, long max) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return -1;
  }
  long v = std::stol(text);
  return v < min || v > max ? -1 : v;
}

Status BadRequest(const std::string& message) {
  return Status::Error(message, EINVAL);
}

std::string ProcessJson(const ProcessInfo* p) {
  if (p == nullptr) return "null";
  return fmt::format("{{\"pid\":{},\"process\":{},\"unit\":{}}}", p->pid,
                     JsonString(p->comm), JsonString(p->unit));
}

}  // namespace

Status ParseSocketQuery(std::string_view query, SocketQuery* out) {
  SocketQuery q;
  size_t count = 0;
  while (!query.empty()) {
    if (++count > 16) return BadRequest("too many query parameters");
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name, value;
    if (!UrlDecode(pair.substr(0, eq), &name) ||
        (eq != std::string_view::npos &&
         !UrlDecode(pair.substr(eq + 1), &value))) {
      return BadRequest("malformed query string");
    }
    if (name == "state") {
      auto state = StateFromName(value);
      if (!state || *state == kNewSynRecv) {
        return BadRequest("unknown state \"" + value +
                          "\" (use e.g. close_wait, established, fin_wait2)");
      }
      q.state = *state;
    } else if (name == "process") {
      if (value.empty() || value.size() > 64) {
        return BadRequest("process must be a process name");
      }
      q.process = value;
    } else if (name == "netns") {
      if (value.empty() || value.size() > 256) {
        return BadRequest("netns must be a namespace label");
      }
      q.netns = value;
    } else if (name == "port") {
      long port = Number(value, 1, 65535);
      if (port < 0) return BadRequest("port must be a number from 1 to 65535");
      q.port = static_cast<int>(port);
    } else if (name == "limit") {
      long limit = Number(value, 1, kMaxSocketLimit);
      if (limit < 0) {
        return BadRequest("limit must be a number from 1 to " +
                          std::to_string(kMaxSocketLimit));
      }
      q.limit = static_cast<size_t>(limit);
    } else {
      return BadRequest("unknown parameter \"" + name +
                        "\" (state, process, port, netns, limit)");
    }
  }
  *out = q;
  return Status::Ok();
}

bool Matches(const SocketQuery& q, const SocketRow& row) {
  if (!q.process.empty() &&
      (row.owner == nullptr ? q.process != "unknown"
                            : row.owner->comm != q.process)) {
    return false;
  }
  if (!q.netns.empty() && (row.netns == nullptr || *row.netns != q.netns)) {
    return false;
  }
  return q.port == 0 || row.local_port == q.port || row.remote_port == q.port;
}

std::string SocketsJson(const SocketQuery& q, size_t total,
                        const std::vector<SocketRow>& rows) {
  std::string out = fmt::format(
      "{{\"state\":\"{}\",\"total\":{},\"returned\":{},\"sockets\":[",
      StateName(q.state), total, rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const SocketRow& r = rows[i];
    out += fmt::format(
        "{}{{\"pid\":{},\"process\":{},\"unit\":{},\"fd\":{},\"shared\":{},"
        "\"local\":{},\"remote\":{},\"state\":\"{}\",\"age_seconds\":{},"
        "\"recv_queue\":{},\"send_queue\":{},\"peer_on_host\":{},"
        "\"peer\":{}{}}}",
        i > 0 ? "," : "", r.owner ? std::to_string(r.owner->pid) : "null",
        JsonString(r.owner ? r.owner->comm : "unknown"),
        JsonString(r.owner ? r.owner->unit : "-"),
        r.fd >= 0 ? std::to_string(r.fd) : "null", r.shared,
        JsonString(FormatEndpoint(r.family, r.local_addr, r.local_port)),
        JsonString(FormatEndpoint(r.family, r.remote_addr, r.remote_port)),
        StateName(r.state),
        r.age_seconds >= 0 ? fmt::format("{:.0f}", r.age_seconds) : "null",
        r.recv_queue, r.send_queue, r.paired, ProcessJson(r.peer),
        r.netns ? ",\"netns\":" + JsonString(*r.netns) : "");
  }
  return out + "]}\n";
}

std::string CloseWaitSocketsJson(const Snapshot& s, const SocketQuery& q) {
  std::vector<const CloseWaitSocket*> sorted;
  sorted.reserve(s.close_wait.size());
  for (const CloseWaitSocket& cw : s.close_wait) sorted.push_back(&cw);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](auto* a, auto* b) { return a->entered < b->entered; });
  auto process = [&s](int32_t index) {
    return index < 0 ? nullptr : &s.processes_info[index];
  };
  size_t total = 0;
  std::vector<SocketRow> rows;
  for (const CloseWaitSocket* cw : sorted) {
    SocketRow row;
    row.owner = process(cw->owner);
    row.peer = process(cw->peer_owner);
    row.paired = cw->paired;
    row.shared = cw->shared;
    row.fd = cw->fd;
    if (s.netns_all && cw->netns < s.netns_labels.size()) {
      row.netns = &s.netns_labels[cw->netns];
    }
    CopyEndpoints(*cw, &row);
    row.state = kCloseWait;
    row.age_seconds = std::max(0.0, s.timestamp_seconds - cw->entered);
    if (!Matches(q, row)) continue;
    ++total;
    if (rows.size() < q.limit) rows.push_back(row);
  }
  return SocketsJson(q, total, rows);
}

}  // namespace sockwatch
