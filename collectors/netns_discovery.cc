#include "collectors/netns_discovery.h"

#include <dirent.h>

#include <memory>
#include <string_view>

#include "collectors/container_id.h"
#include "collectors/netns_socket.h"

namespace sockwatch {
namespace {

// A /run/netns with more entries than this is not one to trust.
constexpr size_t kMaxNamed = 100000;

std::string ContainerOf(const NetnsProcesses& p, ProcFs* fs) {
  std::vector<std::string> paths;  // owns what the holders point into
  paths.reserve(p.pids.size());    // never reallocates below
  std::vector<CgroupHolder> holders;
  std::string file;
  for (int pid : p.pids) {
    if (fs->ReadFile(pid, "cgroup", &file) != 0) continue;
    paths.emplace_back(CgroupV2Path(file));
    holders.push_back({pid, paths.back()});
  }
  return NamespaceContainerLabel(holders);
}

}  // namespace

std::map<std::string, uint64_t> NamedNamespaces(const std::string& dir) {
  std::map<std::string, uint64_t> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return out;
  // Bounded by kMaxNamed entries.
  while (dirent* e = readdir(d.get())) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    uint64_t inode = 0;
    if (NetnsInode(dir + "/" + e->d_name, &inode) == 0) out[e->d_name] = inode;
    if (out.size() >= kMaxNamed) break;
  }
  return out;
}

std::vector<NetnsCandidate> DiscoverNamespaces(const DiscoveryInput& in,
                                               ProcFs* fs,
                                               const NetnsRegistry& registry) {
  std::map<uint64_t, std::string> name_of;
  for (const auto& [name, inode] : in.named) name_of.emplace(inode, name);

  std::map<uint64_t, NetnsCandidate> found;
  for (const auto& [inode, name] : name_of) {
    if (inode == in.own_inode) continue;
    NetnsCandidate& c = found[inode];
    c.inode = inode;
    c.label = name;
    c.paths.push_back(in.run_netns_dir + "/" + name);
  }
  if (in.seen != nullptr) {
    for (const NetnsProcesses& p : *in.seen) {
      if (p.inode == in.own_inode) continue;
      NetnsCandidate& c = found[p.inode];
      if (c.inode == 0) {
        c.inode = p.inode;
        if (!registry.Known(p.inode)) {
          c.label = ContainerOf(p, fs);
          if (c.label.empty()) c.label = "inode:" + std::to_string(p.inode);
        }
      }
      for (int pid : p.pids) {
        c.paths.push_back(in.procfs + "/" + std::to_string(pid) + "/ns/net");
      }
    }
  }
  std::vector<NetnsCandidate> out;
  out.reserve(found.size());
  for (auto& [inode, c] : found) out.push_back(std::move(c));
  return out;
}

}  // namespace sockwatch
