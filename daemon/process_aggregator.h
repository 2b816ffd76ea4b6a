// ProcessAggregator: the per-process half of a sample.
//
// For every socket it finds the owning process in a ProcessTable (by inode)
// and counts it under that process's (name, systemd unit); sockets no
// process holds count as process "unknown", with the unit of their cgroup id
// when the kernel sent one. CLOSE_WAIT sockets are also dated through the
// CloseWaitTracker, kept for the per-socket view, and paired with their
// FIN_WAIT2 other end when both ends are on this host.
//
// Memory: one small entry per (name, unit), one CloseWaitSocket per
// CLOSE_WAIT socket and one key per FIN_WAIT2 socket. Not thread-safe; the
// table, resolver and tracker must outlive it.
#ifndef SOCKWATCH_DAEMON_PROCESS_AGGREGATOR_H_
#define SOCKWATCH_DAEMON_PROCESS_AGGREGATOR_H_

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "collectors/cgroup_resolver.h"
#include "collectors/proc_scanner.h"
#include "collectors/sock_diag_collector.h"
#include "daemon/close_wait_tracker.h"
#include "daemon/snapshot.h"

namespace sockwatch {

class ProcessAggregator final : public ResettableSink {
 public:
  // `cgroups` may be null (no cgroup v2). `now` is the sample's Unix time.
  // `expected_close_wait` and `expected_fin_wait2` (the last sample's
  // counts) size the per-socket vectors up front, so they do not grow by
  // doubling, which would briefly need twice the memory.
  ProcessAggregator(ProcessTable* table, CgroupResolver* cgroups,
                    CloseWaitTracker* tracker, double now,
                    size_t expected_close_wait = 0,
                    size_t expected_fin_wait2 = 0);

  void Reset() override;
  void OnSocket(const SocketRecord& record) override;
  // The sockets that follow are network namespace `index`, labelled
  // `label` (`namespaces: all`; without it everything is one namespace and
  // the rows carry no label). Keys and FIN_WAIT2 pairs are per namespace.
  void BeginNamespace(uint16_t index, const std::string& label);

  // Fills the per-process part of `out`: the top `top_n` (name, unit) rows
  // by socket count, then "unknown" and "other"; the CLOSE_WAIT sockets and
  // their age histogram. Ends the tracker's sample.
  void Finish(size_t top_n, Snapshot* out);

 private:
  struct Key {
    ProcessSeries series;
    double worst_fd_ratio = -1;
  };
  // A FIN_WAIT2 socket, by a 64-bit hash of its endpoints (16 bytes where
  // the endpoints take 37: there can be as many as CLOSE_WAIT sockets).
  struct Peer {
    uint64_t key;
    int32_t owner;
  };
  static uint64_t EndpointsKey(uint16_t netns, uint8_t family,
                               const std::array<uint8_t, 16>& local,
                               uint16_t local_port,
                               const std::array<uint8_t, 16>& remote,
                               uint16_t remote_port);

  int KeyOf(const std::string& process, const std::string& unit);
  int KeyOfProcess(uint32_t process);
  int KeyOfUnknown(uint64_t cgroup_id);
  void PairUp();

  ProcessTable* table_;  // Claim()s the sockets the dump finds
  CgroupResolver* cgroups_;
  CloseWaitTracker* tracker_;
  double now_;
  uint16_t netns_ = 0;
  std::string netns_label_;

  std::vector<Key> keys_;
  std::unordered_map<std::string, int> key_index_;  // "name\0unit"
  std::vector<int> process_key_;                    // per process, or -1
  std::unordered_map<uint64_t, int> cgroup_key_;    // unknown by cgroup id
  std::vector<CloseWaitSocket> close_wait_;
  std::vector<Peer> fin_wait2_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_PROCESS_AGGREGATOR_H_
