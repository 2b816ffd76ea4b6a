// DiscoverNamespaces: this sample's network namespaces, as candidates for
// NetnsRegistry::Update().
//
// The namespaces are those of every process (noted by the /proc scan, so
// /proc is walked once per sample) plus the names bind-mounted under
// /run/netns by `ip netns add`, which may have no process at all. The
// daemon's own namespace is left out: the sampler dumps it as "host".
//
// Labels, in order of preference: the /run/netns name; the container or pod
// the namespace's processes run in, from their cgroup paths (see
// container_id.h); "inode:<n>". Cgroups are read only for namespaces the
// registry does not know yet (a known one keeps its label). Not thread-safe.
#ifndef SOCKWATCH_COLLECTORS_NETNS_DISCOVERY_H_
#define SOCKWATCH_COLLECTORS_NETNS_DISCOVERY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collectors/netns_registry.h"
#include "collectors/proc_scanner.h"
#include "collectors/procfs.h"

namespace sockwatch {

// name -> namespace inode for the entries of `dir` (/run/netns) that are
// network namespaces; empty when the directory is missing.
std::map<std::string, uint64_t> NamedNamespaces(const std::string& dir);

struct DiscoveryInput {
  const std::vector<NetnsProcesses>* seen = nullptr;  // from the scan
  std::map<std::string, uint64_t> named;              // NamedNamespaces()
  uint64_t own_inode = 0;
  std::string run_netns_dir = "/run/netns";
  std::string procfs = "/proc";
};

std::vector<NetnsCandidate> DiscoverNamespaces(const DiscoveryInput& in,
                                               ProcFs* fs,
                                               const NetnsRegistry& registry);

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_NETNS_DISCOVERY_H_
