#include "daemon/aggregator.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace sockwatch {

void Aggregator::Reset() {
  sockets_ = 0;
  states_ = {};
  recv_bytes_ = {};
  send_bytes_ = {};
  listening_.reset();
  ports_.clear();
  per_ns_.assign(1, StateCounts{});
  ns_ = 0;
}

void Aggregator::BeginNamespace(size_t index) {
  ns_ = index;
  if (per_ns_.size() <= index) per_ns_.resize(index + 1);
  listening_.reset();
}

void Aggregator::OnSocket(const SocketRecord& r) {
  if (r.state < 1 || r.state > kMaxState) return;
  ++sockets_;
  ++states_[r.state];
  ++per_ns_[ns_][r.state];
  if (r.state == kListen) {
    listening_.set(r.local_port);
  } else {
    recv_bytes_[r.state] += r.recv_queue;
    send_bytes_[r.state] += r.send_queue;
  }
  uint32_t key = listening_.test(r.local_port) || r.remote_port == 0
                     ? PortKey(Direction::kIn, r.local_port)
                     : PortKey(Direction::kOut, r.remote_port);
  ++ports_[key][r.state];
}

void Aggregator::Finish(size_t port_top_n, Snapshot* out) const {
  out->sockets_sampled = sockets_;
  out->sockets = states_;
  out->recv_queue_bytes = recv_bytes_;
  out->send_queue_bytes = send_bytes_;

  std::vector<PortSeries> rows;
  rows.reserve(ports_.size());
  for (const auto& [key, counts] : ports_) {
    PortSeries row;
    row.direction = static_cast<Direction>(key >> 16);
    row.port = static_cast<int>(key & 0xffff);
    row.sockets = counts;
    row.total = std::accumulate(counts.begin(), counts.end(), uint64_t{0});
    rows.push_back(row);
  }
  // Largest first; ties broken by (direction, port) so output is stable.
  auto larger = [](const PortSeries& a, const PortSeries& b) {
    if (a.total != b.total) return a.total > b.total;
    if (a.direction != b.direction) return a.direction < b.direction;
    return a.port < b.port;
  };
  size_t keep = std::min(port_top_n, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + keep, rows.end(), larger);

  PortSeries other[2];
  other[0].direction = Direction::kIn;
  other[1].direction = Direction::kOut;
  for (size_t i = keep; i < rows.size(); ++i) {
    PortSeries& bucket = other[static_cast<int>(rows[i].direction)];
    for (int s = 0; s < kStateSlots; ++s)
      bucket.sockets[s] += rows[i].sockets[s];
    bucket.total += rows[i].total;
    bucket.port = -1;
  }
  out->ports_folded = rows.size() - keep;
  rows.resize(keep);
  for (const PortSeries& bucket : other) {
    if (bucket.port < 0) rows.push_back(bucket);
  }
  out->ports = std::move(rows);
}

}  // namespace sockwatch
