// HeldNetns: a network namespace standing in for a container, for tests of
// `namespaces: all`, where the daemon runs in the test's own namespace and
// must find the others by itself.
//
// Create() makes a SideNetns, starts two agents in it (`<tag>-srv`, the
// server, and `<tag>-cli`) and builds a known mix between them on loopback:
//   listen       `listeners` listeners of the server (ports base_port + i)
//   established  `pairs` connections client -> server, both ends open
//   close_wait   `leaks` connections the client half-closed (shutdown, so
//                its end stays a full FIN_WAIT2 socket) and the server never
//                closes: CLOSE_WAIT held by the server
//   fin_wait2    the client's ends of those
// It then waits until `ss` inside the namespace shows exactly that (by
// state and by holder name), optionally moves both agents into a cgroup
// (for container labels), and removes the namespace's name unless
// keep_name: such a namespace is then held only by its processes, as a
// container's is. The daemon must label it `inode:<n>` (or by its cgroup);
// a named one by its name.
//
// Destroy() (also run by the destructor) kills both agents by pid and
// removes the name: nothing holds the namespace any more, and the kernel
// frees it once the daemon closes its socket in it.
//
// Agents fork from the calling thread: the test process must have a single
// thread (see attribution_agent.h). The calling thread enters the namespace
// only inside Create() and always comes back. Not copyable; not thread-safe.
#ifndef SOCKWATCH_TESTS_INTEGRATION_HELD_NETNS_H_
#define SOCKWATCH_TESTS_INTEGRATION_HELD_NETNS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "attribution_agent.h"
#include "attribution_support.h"
#include "side_netns.h"
#include "socket_model.h"

namespace sockwatch::it {

struct HeldMix {
  int listeners = 1;  // at least 1: the connections need one
  int pairs = 0;
  int leaks = 0;
  uint16_t base_port = 7100;
};

struct HeldOptions {
  std::string tag;  // agent names are "<tag>-srv" / "<tag>-cli" (<= 11 chars)
  HeldMix mix;
  bool keep_name = false;
  // A cgroup v2 directory (absolute path) both agents are moved into before
  // the name is removed; "" leaves them where they are.
  std::string cgroup_dir;
};

class HeldNetns {
 public:
  // nullptr and *error on failure (everything made so far is undone).
  static std::unique_ptr<HeldNetns> Create(const HeldOptions& options,
                                           std::string* error);
  ~HeldNetns() { Destroy(); }
  HeldNetns(const HeldNetns&) = delete;
  HeldNetns& operator=(const HeldNetns&) = delete;

  // The label the daemon must give it when named or held by processes in no
  // container: the name, or "inode:<n>".
  std::string DefaultLabel() const;
  uint64_t inode() const { return side_->inode(); }
  const std::string& server_name() const { return server_name_; }
  const std::string& client_name() const { return client_name_; }

  // Expected sockets of the namespace per state (zeros left out), and per
  // holder name.
  StateCounts Expected() const;
  ProcessStates ExpectedByProcess() const;

  // Kills the agents and removes the name. Idempotent.
  void Destroy();

 private:
  HeldNetns() = default;
  std::string Build(const HeldOptions& options);

  HeldMix mix_;
  std::string server_name_;
  std::string client_name_;
  std::string name_;  // "" once unnamed
  std::unique_ptr<SideNetns> side_;
  std::unique_ptr<Agent> server_;
  std::unique_ptr<Agent> client_;
};

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_HELD_NETNS_H_
