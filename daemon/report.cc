#include "daemon/report.h"

#include <spdlog/fmt/fmt.h>

namespace sockwatch {
namespace {

std::string PortName(const PortSeries& row) {
  return row.port < 0 ? "other" : std::to_string(row.port);
}

const char* DirectionName(Direction d) {
  return d == Direction::kIn ? "in" : "out";
}

}  // namespace

std::string ReportTable(const Snapshot& s) {
  std::string out = "TCP sockets by state\n";
  out += fmt::format("  {:<15} {:>10} {:>14} {:>14}\n", "STATE", "SOCKETS",
                     "RECV-Q BYTES", "SEND-Q BYTES");
  for (TcpState state : kExportedStates) {
    out += fmt::format("  {:<15} {:>10} {:>14} {:>14}\n", StateName(state),
                       s.sockets[state], s.recv_queue_bytes[state],
                       s.send_queue_bytes[state]);
  }
  out += fmt::format("  {:<15} {:>10}\n", "total", s.sockets_sampled);
  out += "\nService ports (in: local listening port, out: remote port)\n";
  out += fmt::format("  {:<4} {:<6} {:>10} {:>12} {:>12}\n", "DIR", "PORT",
                     "SOCKETS", "ESTABLISHED", "CLOSE_WAIT");
  for (const PortSeries& row : s.ports) {
    out += fmt::format("  {:<4} {:<6} {:>10} {:>12} {:>12}\n",
                       DirectionName(row.direction), PortName(row), row.total,
                       row.sockets[kEstablished], row.sockets[kCloseWait]);
  }
  return out;
}

std::string ReportJson(const Snapshot& s) {
  std::string out = "{\"sockets_sampled\":" + std::to_string(s.sockets_sampled);
  auto states = [](const StateCounts& counts) {
    std::string o = "{";
    for (TcpState state : kExportedStates) {
      if (o.size() > 1) o += ",";
      o += "\"" + std::string(StateName(state)) +
           "\":" + std::to_string(counts[state]);
    }
    return o + "}";
  };
  out += ",\"sockets\":" + states(s.sockets);
  out += ",\"recv_queue_bytes\":" + states(s.recv_queue_bytes);
  out += ",\"send_queue_bytes\":" + states(s.send_queue_bytes);
  out += ",\"ports\":[";
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const PortSeries& row = s.ports[i];
    if (i > 0) out += ",";
    out += "{\"direction\":\"" + std::string(DirectionName(row.direction)) +
           "\",\"port\":\"" + PortName(row) +
           "\",\"total\":" + std::to_string(row.total) +
           ",\"sockets\":" + states(row.sockets) + "}";
  }
  return out + "]}\n";
}

}  // namespace sockwatch
