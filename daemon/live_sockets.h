// LiveSockets: the per-socket view of states the sampler does not keep.
//
// CLOSE_WAIT sockets are kept by every sample; for any other state GET
// /sockets asks the kernel on the spot: one /proc scan for attribution and
// one sock_diag dump filtered to that state, keeping at most `limit` rows.
// Its cost grows with the table, so queries are serialized (one at a time)
// and each uses its own netlink socket: the sampler is never blocked.
// Thread-safe.
#ifndef SOCKWATCH_DAEMON_LIVE_SOCKETS_H_
#define SOCKWATCH_DAEMON_LIVE_SOCKETS_H_

#include <mutex>
#include <string>

#include "collectors/procfs.h"
#include "daemon/sampler.h"
#include "daemon/sockets_view.h"

namespace sockwatch {

class LiveSockets {
 public:
  // `attribution` false leaves every socket's process unknown;
  // `namespaces_all` also dumps every other network namespace.
  LiveSockets(Sampler::TransportFactory factory, std::string procfs,
              bool attribution, bool namespaces_all);

  // Fills `json` with the sockets now in q.state. Error when the kernel
  // cannot be read.
  Status Query(const SocketQuery& q, std::string* json);

 private:
  Sampler::TransportFactory factory_;
  std::string procfs_;
  bool attribution_;
  bool namespaces_all_;
  std::mutex mu_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_LIVE_SOCKETS_H_
