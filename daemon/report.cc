#include "daemon/report.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <map>
#include <vector>

#include "daemon/socket_format.h"

namespace sockwatch {
namespace {

std::string PortName(const PortSeries& row) {
  return row.port < 0 ? "other" : std::to_string(row.port);
}

const char* DirectionName(Direction d) {
  return d == Direction::kIn ? "in" : "out";
}

// CLOSE_WAIT sockets of one process (owner -1: no process found).
struct Holder {
  int32_t owner = -1;
  uint16_t netns = 0;
  uint64_t sockets = 0;
  uint64_t recv_bytes = 0;
  double oldest_entered = 0;
  std::map<std::string, uint64_t> peers;      // remote endpoint -> sockets
  std::map<std::string, uint64_t> closed_by;  // FIN_WAIT2 holder -> sockets
};

std::vector<std::pair<std::string, uint64_t>> Top(
    const std::map<std::string, uint64_t>& counts, size_t n) {
  std::vector<std::pair<std::string, uint64_t>> v(counts.begin(), counts.end());
  std::stable_sort(v.begin(), v.end(),
                   [](auto& a, auto& b) { return a.second > b.second; });
  if (v.size() > n) v.resize(n);
  return v;
}

std::string ProcessName(const Snapshot& s, int32_t owner) {
  return owner < 0 ? "unknown" : s.processes_info[owner].comm;
}

// The namespace label of a CLOSE_WAIT socket or holder; "" with
// `namespaces: host`.
std::string NetnsOf(const Snapshot& s, uint16_t index) {
  return s.netns_all && index < s.netns_labels.size() ? s.netns_labels[index]
                                                      : "";
}

std::vector<Holder> Holders(const Snapshot& s, size_t top) {
  std::map<std::pair<uint16_t, int32_t>, Holder> by_owner;
  for (const CloseWaitSocket& cw : s.close_wait) {
    Holder& h = by_owner[{cw.netns, cw.owner}];
    h.owner = cw.owner;
    h.netns = cw.netns;
    ++h.sockets;
    h.recv_bytes += cw.recv_queue;
    if (h.oldest_entered == 0 || cw.entered < h.oldest_entered) {
      h.oldest_entered = cw.entered;
    }
    ++h.peers[FormatEndpoint(cw.family, cw.remote_addr, cw.remote_port)];
    if (cw.paired) {
      // An orphaned FIN_WAIT2 end: its process already called close().
      std::string peer = "orphan";
      if (cw.peer_owner >= 0) {
        const ProcessInfo& p = s.processes_info[cw.peer_owner];
        peer = p.comm + "/" + std::to_string(p.pid);
      }
      ++h.closed_by[peer];
    }
  }
  std::vector<Holder> out;
  for (auto& [owner, h] : by_owner) out.push_back(std::move(h));
  std::stable_sort(out.begin(), out.end(),
                   [](auto& a, auto& b) { return a.sockets > b.sockets; });
  if (out.size() > top) out.resize(top);
  return out;
}

std::string Joined(const std::vector<std::pair<std::string, uint64_t>>& v) {
  std::string out;
  for (const auto& [name, n] : v) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ({})", name, n);
  }
  return out.empty() ? "-" : out;
}

std::string FdsText(const ProcessInfo& p) {
  if (p.max_fds == UINT64_MAX) return fmt::format("{}/unlimited", p.open_fds);
  return fmt::format("{}/{}", p.open_fds, p.max_fds);
}

std::string StatesJson(const StateCounts& counts) {
  std::string o = "{";
  for (TcpState state : kExportedStates) {
    if (o.size() > 1) o += ",";
    o += fmt::format("\"{}\":{}", StateName(state), counts[state]);
  }
  return o + "}";
}

// Rows of the process view with sockets in `state`, largest first.
std::vector<const ProcessSeries*> InState(const Snapshot& s, TcpState state,
                                          size_t top) {
  std::vector<const ProcessSeries*> rows;
  for (const auto& row : s.processes) {
    if (row.sockets[state] > 0) rows.push_back(&row);
  }
  std::stable_sort(rows.begin(), rows.end(), [state](auto* a, auto* b) {
    return a->sockets[state] > b->sockets[state];
  });
  if (rows.size() > top) rows.resize(top);
  return rows;
}

// A fixed-width table cell for the namespace; nothing with `namespaces:
// host`.
std::string NetnsCell(const Snapshot& s, const std::string& text) {
  return s.netns_all ? fmt::format("{:<24} ", text) : "";
}

// ,"netns":"<label>" with `namespaces: all`.
std::string NetnsField(const Snapshot& s, const std::string& label) {
  return s.netns_all ? ",\"netns\":" + JsonString(label) : "";
}

std::string ByProcessTable(const Snapshot& s, const ReportOptions& o) {
  if (!s.attribution) return "(process attribution is switched off)\n\n";
  std::string out;
  if (o.state != kCloseWait) {
    out += fmt::format("{} sockets by process\n", StateName(o.state));
    out += fmt::format("  {}{:<16} {:<28} {:>8}\n", NetnsCell(s, "NETNS"),
                       "PROCESS", "UNIT", "SOCKETS");
    for (const ProcessSeries* row : InState(s, o.state, o.top)) {
      out += fmt::format("  {}{:<16} {:<28} {:>8}\n", NetnsCell(s, row->netns),
                         row->process, row->unit, row->sockets[o.state]);
    }
    return out + "\n";
  }
  out += fmt::format("CLOSE_WAIT sockets by process ({} in all)\n",
                     s.close_wait.size());
  out +=
      fmt::format("  {}{:<16} {:>7} {:<24} {:>7} {:>8} {:>14}  {}  {}\n",
                  NetnsCell(s, "NETNS"), "PROCESS", "PID", "UNIT", "SOCKETS",
                  "OLDEST", "FDS/LIMIT", "TOP REMOTE PEERS", "CLOSED FIRST BY");
  for (const Holder& h : Holders(s, o.top)) {
    std::string pid = "-", unit = "-", fds = "-";
    if (h.owner >= 0) {
      const ProcessInfo& p = s.processes_info[h.owner];
      pid = std::to_string(p.pid);
      unit = p.unit;
      fds = FdsText(p);
    }
    out += fmt::format(
        "  {}{:<16} {:>7} {:<24} {:>7} {:>8} {:>14}  {}  {}\n",
        NetnsCell(s, NetnsOf(s, h.netns)), ProcessName(s, h.owner), pid, unit,
        h.sockets, HumanDuration(s.timestamp_seconds - h.oldest_entered), fds,
        Joined(Top(h.peers, 3)), Joined(Top(h.closed_by, 2)));
  }
  return out + "\n";
}

std::string ByProcessJson(const Snapshot& s, const ReportOptions& o) {
  std::string out = "[";
  if (o.state != kCloseWait) {
    for (const ProcessSeries* row : InState(s, o.state, o.top)) {
      if (out.size() > 1) out += ",";
      out += fmt::format("{{\"process\":{},\"unit\":{},\"sockets\":{}{}}}",
                         JsonString(row->process), JsonString(row->unit),
                         row->sockets[o.state], NetnsField(s, row->netns));
    }
    return out + "]";
  }
  for (const Holder& h : Holders(s, o.top)) {
    if (out.size() > 1) out += ",";
    out += "{";
    if (h.owner >= 0) {
      const ProcessInfo& p = s.processes_info[h.owner];
      out += fmt::format(
          "\"pid\":{},\"process\":{},\"exe\":{},\"unit\":{},\"open_fds\":{},"
          "\"max_fds\":{},",
          p.pid, JsonString(p.comm), JsonString(p.exe), JsonString(p.unit),
          p.open_fds,
          p.max_fds == UINT64_MAX ? "null" : std::to_string(p.max_fds));
    } else {
      out += "\"pid\":null,\"process\":\"unknown\",";
    }
    out += fmt::format(
        "\"sockets\":{},\"oldest_seconds\":{:.0f},\"recv_queue_bytes\":{}{},"
        "\"peers\":[",
        h.sockets, s.timestamp_seconds - h.oldest_entered, h.recv_bytes,
        NetnsField(s, NetnsOf(s, h.netns)));
    bool first = true;
    for (const auto& [peer, n] : Top(h.peers, 3)) {
      out += fmt::format("{}{{\"remote\":{},\"sockets\":{}}}", first ? "" : ",",
                         JsonString(peer), n);
      first = false;
    }
    out += "],\"closed_first_by\":[";
    first = true;
    for (const auto& [peer, n] : Top(h.closed_by, 3)) {
      out += fmt::format("{}{{\"process\":{},\"sockets\":{}}}",
                         first ? "" : ",", JsonString(peer), n);
      first = false;
    }
    out += "]}";
  }
  return out + "]";
}

}  // namespace

std::string ReportTable(const Snapshot& s, const ReportOptions& o) {
  std::string out = ByProcessTable(s, o);
  out += "TCP sockets by state\n";
  out += fmt::format("  {:<15} {:>10} {:>14} {:>14}\n", "STATE", "SOCKETS",
                     "RECV-Q BYTES", "SEND-Q BYTES");
  for (TcpState state : kExportedStates) {
    out += fmt::format("  {:<15} {:>10} {:>14} {:>14}\n", StateName(state),
                       s.sockets[state], s.recv_queue_bytes[state],
                       s.send_queue_bytes[state]);
  }
  out += fmt::format("  {:<15} {:>10}\n", "total", s.sockets_sampled);
  if (s.netns_all) {
    out += fmt::format("\nNetwork namespaces ({} sampled)\n",
                       s.netns_labels.size());
    out += fmt::format("  {:<24} {:>10} {:>12} {:>12}\n", "NETNS", "SOCKETS",
                       "ESTABLISHED", "CLOSE_WAIT");
    for (const NetnsSeries& row : s.netns) {
      out +=
          fmt::format("  {:<24} {:>10} {:>12} {:>12}\n", row.netns, row.total,
                      row.sockets[kEstablished], row.sockets[kCloseWait]);
    }
  }
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

std::string ReportJson(const Snapshot& s, const ReportOptions& o) {
  std::string out = fmt::format("{{\"state\":\"{}\",\"sockets_sampled\":{}",
                                StateName(o.state), s.sockets_sampled);
  if (s.attribution) out += ",\"processes\":" + ByProcessJson(s, o);
  out += ",\"sockets\":" + StatesJson(s.sockets);
  if (s.netns_all) {
    out += fmt::format(",\"netns_sampled\":{},\"netns_unreadable\":{}",
                       s.netns_labels.size(), s.netns_unreadable);
    out += ",\"namespaces\":[";
    for (size_t i = 0; i < s.netns.size(); ++i) {
      out += fmt::format("{}{{\"netns\":{},\"total\":{},\"sockets\":{}}}",
                         i > 0 ? "," : "", JsonString(s.netns[i].netns),
                         s.netns[i].total, StatesJson(s.netns[i].sockets));
    }
    out += "]";
  }
  out += ",\"recv_queue_bytes\":" + StatesJson(s.recv_queue_bytes);
  out += ",\"send_queue_bytes\":" + StatesJson(s.send_queue_bytes);
  out += ",\"ports\":[";
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const PortSeries& row = s.ports[i];
    out += fmt::format(
        "{}{{\"direction\":\"{}\",\"port\":\"{}\",\"total\":{},\"sockets\":{}}"
        "}",
        i > 0 ? "," : "", DirectionName(row.direction), PortName(row),
        row.total, StatesJson(row.sockets));
  }
  return out + "]}\n";
}

}  // namespace sockwatch
