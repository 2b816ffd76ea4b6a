#include "metrics_view.h"

namespace sockwatch::it {

StateCounts StatesOf(const Exposition& scrape) {
  StateCounts counts;
  for (const Sample& s : scrape.Select(kSocketsMetric)) {
    counts[s.labels.count("state") ? s.labels.at("state") : "?"] +=
        static_cast<int64_t>(s.value);
  }
  return counts;
}

PortView PortViewOf(const Exposition& scrape) {
  PortView view;
  for (const Sample& s : scrape.Select(kPortMetric)) {
    auto get = [&](const char* label) {
      auto it = s.labels.find(label);
      return it == s.labels.end() ? std::string("?") : it->second;
    };
    view[{get("direction"), get("port")}][get("state")] +=
        static_cast<int64_t>(s.value);
  }
  return view;
}

bool OnlyListenerOn(const Exposition& scrape, uint16_t port) {
  const PortView view = NonZero(PortViewOf(scrape));
  const std::string p = std::to_string(port);
  auto in = view.find({"in", p});
  return in != view.end() && in->second == StateCounts{{"listen", 1}} &&
         view.count({"out", p}) == 0;
}

PortView ListenerView(uint16_t port) {
  PortView view;
  AddTo(&view, "in", port, "listen");
  return view;
}

PortView Merge(const PortView& a, const PortView& b) {
  PortView out = a;
  for (const auto& [key, counts] : b) out[key] = Add(out[key], counts);
  return out;
}

}  // namespace sockwatch::it
