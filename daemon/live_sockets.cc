#include "daemon/live_sockets.h"

#include "collectors/netns_discovery.h"
#include "collectors/netns_registry.h"
#include "collectors/netns_socket.h"
#include "collectors/proc_scanner.h"
#include "collectors/sock_diag_collector.h"

namespace sockwatch {
namespace {

// Keeps the first `limit` matching rows and counts all matches, one
// namespace after the other; a reset (a retried dump) drops only what the
// current namespace added.
class MatchSink final : public ResettableSink {
 public:
  MatchSink(const SocketQuery& q, const ProcessTable& table)
      : q_(q), table_(table) {}

  void BeginNamespace(const std::string* label) {
    netns_ = label;
    total_before_ = total;
    rows_before_ = rows.size();
  }
  void Reset() override {
    total = total_before_;
    rows.resize(rows_before_);
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
    row.netns = netns_;
    if (!Matches(q_, row)) return;
    ++total;
    if (rows.size() < q_.limit) rows.push_back(row);
  }

  size_t total = 0;
  std::vector<SocketRow> rows;

 private:
  const SocketQuery& q_;
  const ProcessTable& table_;
  const std::string* netns_ = nullptr;
  size_t total_before_ = 0;
  size_t rows_before_ = 0;
};

const std::string kHost = "host";

}  // namespace

LiveSockets::LiveSockets(Sampler::TransportFactory factory, std::string procfs,
                         bool attribution, bool namespaces_all)
    : factory_(std::move(factory)),
      procfs_(std::move(procfs)),
      attribution_(attribution),
      namespaces_all_(namespaces_all) {}

Status LiveSockets::Query(const SocketQuery& q, std::string* json) {
  std::lock_guard<std::mutex> lock(mu_);
  ProcessTable table;
  RealProcFs fs(procfs_);
  if (attribution_ || namespaces_all_) {
    ProcScanner scanner(&fs);
    scanner.set_scan_fds(attribution_);
    scanner.set_discover_netns(namespaces_all_);
    AttributionStats stats;
    scanner.Scan(&table, &stats);  // a failed scan leaves owners unknown
  }
  Status status;
  std::unique_ptr<NetlinkTransport> transport = factory_(&status);
  if (transport == nullptr) return status;
  // Its own sockets in every other namespace, for this query only.
  RealNetnsOpener opener;
  NetnsRegistry others(&opener);
  if (namespaces_all_) {
    DiscoveryInput in;
    in.seen = &table.netns;
    in.named = NamedNamespaces(in.run_netns_dir);
    if (NetnsInode("/proc/self/ns/net", &in.own_inode) != 0) in.own_inode = 0;
    in.procfs = procfs_;
    NetnsErrors errors;  // the sampler counts these
    others.Update(DiscoverNamespaces(in, &fs, others), &errors);
  }
  MatchSink sink(q, table);
  uint32_t states = StateBit(q.state);
  if (q.state == kSynRecv) states |= StateBit(kNewSynRecv);
  CollectStats stats;
  sink.BeginNamespace(namespaces_all_ ? &kHost : nullptr);
  status = SockDiagCollector(transport.get(), {})
               .CollectStates(states, sink, &stats);
  if (!status.ok()) return status;
  for (NetnsRegistry::Entry& e : others.entries()) {
    if (!e.transport) continue;
    sink.BeginNamespace(&e.label);
    // A namespace gone mid-query just has no rows.
    if (!SockDiagCollector(e.transport.get(), {})
             .CollectStates(states, sink, &stats)
             .ok()) {
      sink.Reset();
    }
  }
  *json = SocketsJson(q, sink.total, sink.rows);
  return Status::Ok();
}

}  // namespace sockwatch
