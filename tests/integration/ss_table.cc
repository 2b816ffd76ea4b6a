#include "ss_table.h"

#include <cstdlib>
#include <map>
#include <sstream>

#include "child.h"

namespace sockwatch::it {
namespace {

bool ParsePort(const std::string& endpoint, int* port) {
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos) return false;
  const std::string text = endpoint.substr(colon + 1);
  if (text == "*") {
    *port = 0;
    return true;
  }
  char* end = nullptr;
  const long value = strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0 || value > 65535) return false;
  *port = static_cast<int>(value);
  return true;
}

bool ParseCount(const std::string& text, uint64_t* value) {
  char* end = nullptr;
  *value = strtoull(text.c_str(), &end, 10);
  return !text.empty() && *end == '\0';
}

}  // namespace

std::string StateFromSs(const std::string& ss_state) {
  static const std::map<std::string, std::string> kMap = {
      {"ESTAB", "established"},
      {"SYN-SENT", "syn_sent"},
      {"SYN-RECV", "syn_recv"},
      {"FIN-WAIT-1", "fin_wait1"},
      {"FIN-WAIT-2", "fin_wait2"},
      {"TIME-WAIT", "time_wait"},
      {"UNCONN", "close"},
      {"CLOSE", "close"},
      {"CLOSE-WAIT", "close_wait"},
      {"LAST-ACK", "last_ack"},
      {"LISTEN", "listen"},
      {"CLOSING", "closing"},
      {"BOUND-INACTIVE", "bound_inactive"}};
  auto it = kMap.find(ss_state);
  return it == kMap.end() ? "" : it->second;
}

std::optional<std::vector<SsRow>> ParseSs(const std::string& text,
                                          std::string* error) {
  std::vector<SsRow> rows;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string state, recv_q, send_q;
    SsRow row;
    if (!(fields >> state)) continue;  // blank line
    fields >> recv_q >> send_q >> row.local >> row.peer;
    row.state = StateFromSs(state);
    if (row.state.empty() || !ParseCount(recv_q, &row.recv_q) ||
        !ParseCount(send_q, &row.send_q) ||
        !ParsePort(row.local, &row.local_port) ||
        !ParsePort(row.peer, &row.peer_port)) {
      *error = "cannot parse ss line: " + line;
      return std::nullopt;
    }
    rows.push_back(row);
  }
  return rows;
}

std::optional<std::vector<SsRow>> RunSs(std::string* error) {
  CommandResult run = RunCommand({"ss", "-tanH"}, milliseconds(10000));
  if (!run.spawn_error.empty() || !run.status.Ok()) {
    *error =
        "ss -tanH: " + run.spawn_error + run.status.ToString() + " " + run.err;
    return std::nullopt;
  }
  return ParseSs(run.out, error);
}

StateCounts SsCounts(const std::vector<SsRow>& rows) {
  StateCounts counts = ZeroCounts();
  for (const SsRow& row : rows) counts[row.state] += 1;
  return counts;
}

std::optional<StateCounts> SsCounts(std::string* error) {
  auto rows = RunSs(error);
  if (!rows) return std::nullopt;
  return SsCounts(*rows);
}

std::map<std::string, uint64_t> SsQueueBytes(const std::vector<SsRow>& rows,
                                             bool recv) {
  std::map<std::string, uint64_t> bytes;
  for (const char* state : kStates) {
    if (std::string(state) != "listen") bytes[state] = 0;
  }
  for (const SsRow& row : rows) {
    if (row.state == "listen") continue;
    bytes[row.state] += recv ? row.recv_q : row.send_q;
  }
  return bytes;
}

std::vector<SocketRow> ToSocketRows(const std::vector<SsRow>& rows) {
  std::vector<SocketRow> out;
  for (const SsRow& row : rows) {
    out.push_back({row.state, row.local_port, row.peer_port});
  }
  return out;
}

std::string Format(const std::vector<SsRow>& rows) {
  std::string text;
  for (const SsRow& row : rows) {
    text += "  " + row.state + " " + std::to_string(row.recv_q) + " " +
            std::to_string(row.send_q) + " " + row.local + " " + row.peer +
            "\n";
  }
  return text;
}

}  // namespace sockwatch::it
