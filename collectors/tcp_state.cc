#include "collectors/tcp_state.h"

namespace sockwatch {
namespace {

constexpr std::array<std::string_view, kStateSlots> kNames = {
    "unknown",   "established", "syn_sent",     "syn_recv",      "fin_wait1",
    "fin_wait2", "time_wait",   "close",        "close_wait",    "last_ack",
    "listen",    "closing",     "new_syn_recv", "bound_inactive"};

}  // namespace

std::string_view StateName(int state) {
  if (state < 1 || state > kMaxState) return kNames[0];
  return kNames[state];
}

std::optional<TcpState> StateFromName(std::string_view name) {
  for (int s = 1; s <= kMaxState; ++s) {
    if (kNames[s] == name) return static_cast<TcpState>(s);
  }
  return std::nullopt;
}

}  // namespace sockwatch
