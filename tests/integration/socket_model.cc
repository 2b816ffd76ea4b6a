#include "socket_model.h"

#include <algorithm>
#include <set>

namespace sockwatch::it {

StateCounts ZeroCounts() {
  StateCounts counts;
  for (const char* state : kStates) counts[state] = 0;
  return counts;
}

StateCounts Add(const StateCounts& a, const StateCounts& b) {
  StateCounts sum = a;
  for (const auto& [state, n] : b) sum[state] += n;
  return sum;
}

std::string Format(const StateCounts& counts) {
  std::string text;
  for (const auto& [state, n] : counts) {
    if (n == 0) continue;
    if (!text.empty()) text += " ";
    text += state + "=" + std::to_string(n);
  }
  return text.empty() ? "(none)" : text;
}

PortView ClassifyPorts(const std::vector<SocketRow>& rows) {
  std::set<int> listening;
  for (const SocketRow& row : rows) {
    if (row.state == "listen") listening.insert(row.local_port);
  }
  PortView view;
  for (const SocketRow& row : rows) {
    if (listening.count(row.local_port) > 0 || row.peer_port == 0) {
      AddTo(&view, "in", row.local_port, row.state);
    } else {
      AddTo(&view, "out", row.peer_port, row.state);
    }
  }
  return view;
}

void PrintTo(const PortKey& key, std::ostream* os) {
  *os << key.direction << "/" << key.port;
}

void AddTo(PortView* view, const std::string& direction, int port,
           const std::string& state) {
  (*view)[{direction, std::to_string(port)}][state] += 1;
}

PortView FoldTopN(const PortView& view, size_t top_n, bool* ambiguous) {
  std::vector<std::pair<int64_t, PortKey>> ranked;
  for (const auto& [key, counts] : view) ranked.push_back({Sum(counts), key});
  std::stable_sort(
      ranked.begin(), ranked.end(),
      [](const auto& a, const auto& b) { return a.first > b.first; });
  *ambiguous = ranked.size() > top_n && top_n > 0 &&
               ranked[top_n - 1].first == ranked[top_n].first;
  PortView folded;
  for (size_t i = 0; i < ranked.size(); ++i) {
    const PortKey& key = ranked[i].second;
    StateCounts& target =
        i < top_n ? folded[key] : folded[{key.direction, "other"}];
    target = Add(target, view.at(key));
  }
  return folded;
}

StateCounts Totals(const PortView& view) {
  StateCounts totals;
  for (const auto& [key, counts] : view) totals = Add(totals, counts);
  return totals;
}

StateCounts NonZero(const StateCounts& counts) {
  StateCounts out;
  for (const auto& [state, n] : counts) {
    if (n != 0) out[state] = n;
  }
  return out;
}

PortView NonZero(const PortView& view) {
  PortView out;
  for (const auto& [key, counts] : view) {
    StateCounts kept = NonZero(counts);
    if (!kept.empty()) out[key] = kept;
  }
  return out;
}

int64_t Sum(const StateCounts& counts) {
  int64_t total = 0;
  for (const auto& [state, n] : counts) total += n;
  return total;
}

std::string Format(const PortView& view) {
  std::string text;
  for (const auto& [key, counts] : view) {
    text +=
        "  " + key.direction + "/" + key.port + ": " + Format(counts) + "\n";
  }
  return text;
}

}  // namespace sockwatch::it
