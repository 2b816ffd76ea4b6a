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

#include "collectors/proc_scanner.h"
#include "collectors/tcp_state.h"
#include "daemon/alert.h"

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

// One (process name, unit) row of the per-process view. process is
// "unknown" for sockets no process was found for, "other" for the rows
// folded by the cap.
struct ProcessSeries {
  std::string netns;  // with `namespaces: all`; "" otherwise
  std::string process;
  std::string unit;
  StateCounts sockets{};
  uint64_t total = 0;
  double oldest_close_wait_entered = 0;  // Unix seconds; 0 when none
  uint64_t close_wait_recv_bytes = 0;
  // The process of this row that is nearest its fd limit, among those
  // holding CLOSE_WAIT sockets (pid 0 when none or not a real process).
  int fd_pid = 0;
  uint32_t open_fds = 0;
  uint64_t max_fds = 0;
};

// One CLOSE_WAIT socket in the per-socket view.
struct CloseWaitSocket {
  std::array<uint8_t, 16> local_addr{};
  std::array<uint8_t, 16> remote_addr{};
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  uint16_t netns = 0;  // index into Snapshot::netns_labels
  uint8_t family = 0;
  bool shared = false;  // held by several processes; owner is the lowest pid
  bool paired = false;  // the FIN_WAIT2 other end is on this host
  int32_t owner = -1;   // index into Snapshot::processes_info, -1 unknown
  int32_t peer_owner = -1;  // owner of the FIN_WAIT2 end, -1 unknown
  int32_t fd = -1;
  uint32_t recv_queue = 0;
  uint32_t send_queue = 0;
  double entered = 0;  // Unix seconds the socket entered CLOSE_WAIT
};
// There is one per CLOSE_WAIT socket, in each of two snapshots while a
// sample is built: at a million sockets every byte here is ~0.3 MB.
static_assert(sizeof(CloseWaitSocket) <= 72, "CloseWaitSocket grew");

// Copies the endpoints and queues that SocketRecord, CloseWaitSocket and
// the per-socket view's rows have in common.
template <typename From, typename To>
void CopyEndpoints(const From& from, To* to) {
  to->family = from.family;
  to->local_addr = from.local_addr;
  to->remote_addr = from.remote_addr;
  to->local_port = from.local_port;
  to->remote_port = from.remote_port;
  to->recv_queue = from.recv_queue;
  to->send_queue = from.send_queue;
}

// One network namespace's sockets; label "other" for the rows folded by the
// cap.
struct NetnsSeries {
  std::string netns;
  StateCounts sockets{};
  uint64_t total = 0;
};

// Upper bounds of the CLOSE_WAIT age histogram, seconds.
inline constexpr std::array<double, 11> kAgeBuckets = {
    10, 30, 60, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400};

struct Snapshot {
  double timestamp_seconds = 0;  // wall clock when the sample started
  double duration_seconds = 0;   // how long the sample took
  uint64_t sockets_sampled = 0;
  StateCounts sockets{};           // host totals by state
  StateCounts recv_queue_bytes{};  // by state; LISTEN left at 0
  StateCounts send_queue_bytes{};
  std::vector<PortSeries> ports;  // top N by total, then "other" rows
  uint64_t ports_folded = 0;      // (direction, port) pairs in "other"

  // With `namespaces: all`: the namespaces sampled (the totals above are
  // their sum), by label, top N then "other".
  bool netns_all = false;
  std::vector<std::string> netns_labels;  // by index, as sampled
  std::vector<StateCounts> netns_counts;  // by index, uncapped (rules)
  std::vector<NetnsSeries> netns;
  uint64_t netns_unreadable = 0;  // found, but not entered (permission)

  // Attribution; empty when switched off.
  bool attribution = false;
  std::vector<ProcessSeries> processes;  // top N, then "unknown", "other"
  uint64_t processes_folded = 0;
  std::vector<ProcessSeries> all_processes;  // uncapped, without "other"
  std::vector<ProcessInfo> processes_info;   // every socket-holding process
  std::vector<CloseWaitSocket> close_wait;   // every CLOSE_WAIT socket
  // CLOSE_WAIT ages at this sample: count per kAgeBuckets bound (not
  // cumulative) plus one for larger, and their sum.
  std::array<uint64_t, kAgeBuckets.size() + 1> close_wait_ages{};
  double close_wait_age_sum = 0;
  uint64_t unreadable_processes = 0;

  // Alerts pending or firing after this sample's rule evaluation.
  std::vector<Alert> alerts;
  uint64_t rule_evaluation_failures = 0;
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
