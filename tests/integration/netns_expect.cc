#include "netns_expect.h"

#include <fstream>
#include <random>
#include <sstream>

#include "attribution_support.h"
#include "metrics_view.h"

namespace sockwatch::it {
namespace {

int64_t CountOf(const StateCounts& counts, const std::string& state) {
  auto it = counts.find(state);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace

std::string NetnsMismatch(const Exposition& scrape, const std::string& label,
                          const HeldNetns& held) {
  std::ostringstream out;
  const StateCounts want = held.Expected();
  for (const char* state : kStates) {
    const double got =
        scrape.Value(kNetnsSockets, {{"netns", label}, {"state", state}})
            .value_or(0);
    if (got != CountOf(want, state)) {
      out << " " << kNetnsSockets << "{netns=" << label << ",state=" << state
          << "}=" << got << " want " << CountOf(want, state) << ";";
    }
  }
  for (const auto& [process, states] : held.ExpectedByProcess()) {
    for (const char* state : kStates) {
      const double got = scrape.Sum(
          kProcessSockets,
          {{"netns", label}, {"process", process}, {"state", state}});
      if (got != CountOf(states, state)) {
        out << " " << kProcessSockets << "{netns=" << label
            << ",process=" << process << ",state=" << state << "}=" << got
            << " want " << CountOf(states, state) << ";";
      }
    }
  }
  return out.str();
}

std::string NetnsLeftover(const Exposition& scrape, const std::string& label) {
  const size_t n = scrape.Select(kNetnsSockets, {{"netns", label}}).size() +
                   scrape.Select(kProcessSockets, {{"netns", label}}).size();
  return n == 0 ? "" : " " + std::to_string(n) + " series of " + label + ";";
}

std::string NetnsSumMismatch(const Exposition& scrape) {
  std::ostringstream out;
  for (const char* state : kStates) {
    const double namespaces = scrape.Sum(kNetnsSockets, {{"state", state}});
    const double total =
        scrape.Value(kSocketsMetric, {{"state", state}}).value_or(0);
    if (namespaces != total) {
      out << " sum(" << kNetnsSockets << "{state=" << state
          << "})=" << namespaces << " but " << kSocketsMetric << "=" << total
          << ";";
    }
  }
  return out.str();
}

std::string Cgroup2Mount() {
  std::ifstream mounts("/proc/self/mounts");
  std::string device, dir, type;
  std::string rest;
  for (int i = 0; i < 10000 && mounts >> device >> dir >> type; ++i) {
    std::getline(mounts, rest);
    if (type == "cgroup2") return dir;
  }
  return "";
}

std::string RandomHex(size_t digits) {
  static std::mt19937_64 random(std::random_device{}());
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < digits; ++i) out += kHex[random() % 16];
  return out;
}

}  // namespace sockwatch::it
