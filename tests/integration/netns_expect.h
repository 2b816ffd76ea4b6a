// What the `namespaces: all` tests expect of a scrape, as messages: each
// check returns "" when the scrape is right, else what differs, so a polling
// loop can wait for "" and report the last difference when it gives up.
//
// The contract checked (per-namespace series):
//   sockwatch_netns_tcp_sockets{netns,state}      sockets per namespace
//   sockwatch_netns_sampled                       namespaces in the sample
//   sockwatch_process_tcp_sockets{netns,process,unit,state}
// with netns = "host" (the daemon's own), the /run/netns name, a container
// ("docker:<12 hex>", "pod:<uid>", ...) or "inode:<n>".
//
// Pure functions; thread-compatible.
#ifndef SOCKWATCH_TESTS_INTEGRATION_NETNS_EXPECT_H_
#define SOCKWATCH_TESTS_INTEGRATION_NETNS_EXPECT_H_

#include <cstddef>
#include <string>

#include "held_netns.h"
#include "prom_text.h"

namespace sockwatch::it {

inline constexpr char kNetnsSockets[] = "sockwatch_netns_tcp_sockets";
inline constexpr char kNetnsSampled[] = "sockwatch_netns_sampled";

// `held`'s sockets under `label`, exactly: per state (an absent series counts
// as 0) and per holder process (summed over units).
std::string NetnsMismatch(const Exposition& scrape, const std::string& label,
                          const HeldNetns& held);

// No series of either metric carries `label` any more.
std::string NetnsLeftover(const Exposition& scrape, const std::string& label);

// For every state, the per-namespace series add up to sockwatch_tcp_sockets
// of the same scrape.
std::string NetnsSumMismatch(const Exposition& scrape);

// The mount point of the cgroup v2 hierarchy, "" when there is none.
std::string Cgroup2Mount();

// `digits` random lowercase hex digits (fake container ids, pod uids).
std::string RandomHex(size_t digits);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_NETNS_EXPECT_H_
