// Snapshot: one immutable sample of the host's TCP sockets, as published to
// /metrics and `sockwatch report`; SnapshotStore: where the sampler swaps
// the latest one in.
//
// A Snapshot is built once by the sampler and never changed, so readers
// share it through shared_ptr<const Snapshot> without locks on the data.
#ifndef SOCKWATCH_DAEMON_SNAPSHOT_H_
#define SOCKWATCH_DAEMON_SNAPSHOT_H_

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "collectors/tcp_state.h"

namespace sockwatch {

using StateCounts = std::array<uint64_t, kStateSlots>;

enum class Direction : uint8_t { kIn, kOut };

// One row of the service-port view; port < 0 is the "other" bucket.
struct PortSeries {
  Direction direction = Direction::kIn;
  int port = 0;
  StateCounts sockets{};
  uint64_t total = 0;
};

struct Snapshot {
  double timestamp_seconds = 0;  // wall clock when the sample started
  double duration_seconds = 0;   // how long the sample took
  uint64_t sockets_sampled = 0;
  StateCounts sockets{};           // host totals by state
  StateCounts recv_queue_bytes{};  // by state; LISTEN left at 0
  StateCounts send_queue_bytes{};
  std::vector<PortSeries> ports;  // top N by total, then "other" rows
  uint64_t ports_folded = 0;      // (direction, port) pairs in "other"
};

// Holds the latest snapshot. Thread-safe: one writer, many readers.
class SnapshotStore {
 public:
  // nullptr until the first sample has been published.
  std::shared_ptr<const Snapshot> Latest() const {
    std::lock_guard<std::mutex> lock(mu_);
    return latest_;
  }
  void Publish(std::shared_ptr<const Snapshot> snapshot) {
    std::lock_guard<std::mutex> lock(mu_);
    latest_ = std::move(snapshot);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> latest_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_SNAPSHOT_H_
