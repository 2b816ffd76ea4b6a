// Aggregator: turns the stream of sockets of one sample into counts.
//
// It sums sockets and queue bytes by state, and builds the service-port
// view: a socket is `in` keyed by its local port when that port has a LISTEN
// socket (or when it has no peer, like LISTEN itself), else `out` keyed by
// its remote port. This needs every LISTEN socket before the others, which
// SockDiagCollector guarantees. Memory is bounded by the number of distinct
// ports, never by the number of sockets. Not thread-safe.
#ifndef SOCKWATCH_DAEMON_AGGREGATOR_H_
#define SOCKWATCH_DAEMON_AGGREGATOR_H_

#include <bitset>
#include <cstddef>
#include <unordered_map>
#include <vector>

#include "collectors/sock_diag_collector.h"
#include "daemon/snapshot.h"

namespace sockwatch {

class Aggregator final : public ResettableSink {
 public:
  void Reset() override;
  void OnSocket(const SocketRecord& record) override;
  // The sockets that follow are network namespace `index` (0, 1, ...): its
  // own LISTEN ports classify them, and they are also counted per
  // namespace. Without a call everything is namespace 0.
  void BeginNamespace(size_t index);
  // Socket counts by state of each namespace, by index.
  const std::vector<StateCounts>& per_namespace() const { return per_ns_; }

  // Fills the counting part of `out`: totals, queues, and the port view with
  // the top `port_top_n` (direction, port) pairs by socket count and the
  // rest folded into one "other" row per direction.
  void Finish(size_t port_top_n, Snapshot* out) const;

 private:
  static uint32_t PortKey(Direction d, uint16_t port) {
    return static_cast<uint32_t>(d) << 16 | port;
  }

  uint64_t sockets_ = 0;
  StateCounts states_{};
  StateCounts recv_bytes_{};
  StateCounts send_bytes_{};
  std::bitset<65536> listening_;
  std::unordered_map<uint32_t, StateCounts> ports_;
  std::vector<StateCounts> per_ns_ = std::vector<StateCounts>(1);
  size_t ns_ = 0;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_AGGREGATOR_H_
