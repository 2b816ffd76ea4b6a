#include "daemon/live_sockets.h"

#include "collectors/proc_scanner.h"
#include "collectors/sock_diag_collector.h"

namespace sockwatch {
namespace {

// Keeps the first `limit` matching rows and counts all matches.
class MatchSink final : public ResettableSink {
 public:
  MatchSink(const SocketQuery& q, const ProcessTable& table)
      : q_(q), table_(table) {}

  void Reset() override {
    total = 0;
    rows.clear();
  }

  void OnSocket(const SocketRecord& r) override {
    SocketRow row;
    if (const SocketOwner* owner = table_.Find(r.inode)) {
      row.owner = &table_.processes[owner->process];
      row.fd = owner->fd;
      row.shared = owner->shared;
    }
    CopyEndpoints(r, &row);
    row.state = r.state;
    if (!Matches(q_, row)) return;
    ++total;
    if (rows.size() < q_.limit) rows.push_back(row);
  }

  size_t total = 0;
  std::vector<SocketRow> rows;

 private:
  const SocketQuery& q_;
  const ProcessTable& table_;
};

}  // namespace

LiveSockets::LiveSockets(Sampler::TransportFactory factory, std::string procfs,
                         bool attribution)
    : factory_(std::move(factory)),
      procfs_(std::move(procfs)),
      attribution_(attribution) {}

Status LiveSockets::Query(const SocketQuery& q, std::string* json) {
  std::lock_guard<std::mutex> lock(mu_);
  ProcessTable table;
  if (attribution_) {
    RealProcFs fs(procfs_);
    ProcScanner scanner(&fs);
    AttributionStats stats;
    scanner.Scan(&table, &stats);  // a failed scan leaves owners unknown
  }
  Status status;
  std::unique_ptr<NetlinkTransport> transport = factory_(&status);
  if (transport == nullptr) return status;
  SockDiagCollector collector(transport.get(), {});
  MatchSink sink(q, table);
  CollectStats stats;
  uint32_t states = StateBit(q.state);
  if (q.state == kSynRecv) states |= StateBit(kNewSynRecv);
  status = collector.CollectStates(states, sink, &stats);
  if (!status.ok()) return status;
  *json = SocketsJson(q, sink.total, sink.rows);
  return Status::Ok();
}

}  // namespace sockwatch
