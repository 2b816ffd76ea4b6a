// Reading the daemon's socket metrics out of a scrape into the same shapes
// the expectations use (socket_model.h).
//
// Pure functions; thread-compatible.
#ifndef SOCKWATCH_TESTS_INTEGRATION_METRICS_VIEW_H_
#define SOCKWATCH_TESTS_INTEGRATION_METRICS_VIEW_H_

#include <cstdint>
#include <string>

#include "prom_text.h"
#include "socket_model.h"

namespace sockwatch::it {

inline constexpr char kSocketsMetric[] = "sockwatch_tcp_sockets";
inline constexpr char kPortMetric[] = "sockwatch_tcp_port_sockets";
inline constexpr char kQueueMetric[] = "sockwatch_tcp_queue_bytes";

// sockwatch_tcp_sockets by state (only the series present).
StateCounts StatesOf(const Exposition& scrape);

// sockwatch_tcp_port_sockets as a view (only the series present).
PortView PortViewOf(const Exposition& scrape);

// True when the sample counted nothing on `port` but the daemon's own
// listener: no HTTP connection of the test was open while it sampled.
bool OnlyListenerOn(const Exposition& scrape, uint16_t port);

// The daemon's own LISTEN socket on `port`, as a view.
PortView ListenerView(uint16_t port);

// Merges two views.
PortView Merge(const PortView& a, const PortView& b);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_METRICS_VIEW_H_
