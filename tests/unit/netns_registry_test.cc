// NetnsRegistry with a fake opener, DiscoverNamespaces and the scanner's
// namespace notes on fixture trees.
#include "collectors/netns_registry.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collectors/netns_discovery.h"
#include "collectors/proc_scanner.h"
#include "collectors/procfs.h"
#include "temp_tree.h"

namespace sockwatch {
namespace {

using testing::TempTree;

// A transport that only records its own end of life.
class CountedTransport final : public NetlinkTransport {
 public:
  explicit CountedTransport(int* live) : live_(live) { ++*live_; }
  ~CountedTransport() override { --*live_; }
  Status Send(const void*, size_t) override { return Status::Ok(); }
  RecvResult Recv(uint8_t*, size_t) override { return {-1, EAGAIN, false}; }
  uint32_t PortId() const override { return 0; }
  void GrowReceiveBuffer() override {}
  Status Reset() override { return Status::Ok(); }

 private:
  int* live_;
};

class FakeOpener final : public NetnsOpener {
 public:
  std::unique_ptr<NetlinkTransport> Open(const std::string& path,
                                         int* error) override {
    opened.push_back(path);
    auto it = errors.find(path);
    if (it != errors.end()) {
      *error = it->second;
      return nullptr;
    }
    return std::make_unique<CountedTransport>(&live);
  }
  std::map<std::string, int> errors;  // path -> errno
  std::vector<std::string> opened;
  int live = 0;
};

NetnsCandidate Candidate(uint64_t inode, std::string label,
                         std::vector<std::string> paths) {
  return {inode, std::move(label), std::move(paths)};
}

TEST(NetnsRegistry, OpensOnceKeepsAndClosesWhatIsGone) {
  FakeOpener opener;
  NetnsRegistry registry(&opener);
  NetnsErrors errors;
  registry.Update({Candidate(7, "a", {"/a"}), Candidate(5, "b", {"/b"})},
                  &errors);
  EXPECT_EQ(opener.live, 2);
  ASSERT_EQ(registry.entries().size(), 2u);
  EXPECT_EQ(registry.entries()[0].inode, 5u);  // by inode
  EXPECT_EQ(registry.entries()[0].label, "b");

  // Known ones are not opened again and keep their label when given "".
  registry.Update({Candidate(7, "", {"/a"}), Candidate(5, "b2", {"/b"})},
                  &errors);
  EXPECT_EQ(opener.opened.size(), 2u);
  EXPECT_EQ(registry.entries()[1].label, "a");
  EXPECT_EQ(registry.entries()[0].label, "b2");

  // A namespace no longer found is closed: its socket would keep it alive.
  registry.Update({Candidate(7, "", {"/a"})}, &errors);
  EXPECT_EQ(opener.live, 1);
  EXPECT_TRUE(registry.Known(7));
  EXPECT_FALSE(registry.Known(5));
  for (uint64_t n : errors.counts) EXPECT_EQ(n, 0u);

  // Dropped after a failed dump: opened again at the next update.
  registry.Drop(7);
  EXPECT_EQ(opener.live, 0);
  registry.Update({Candidate(7, "", {"/a"})}, &errors);
  EXPECT_EQ(opener.live, 1);
  EXPECT_EQ(opener.opened.size(), 3u);
  registry.Clear();
  EXPECT_EQ(opener.live, 0);
}

TEST(NetnsRegistry, ErrorsAreCountedOnceAndVanishedPathsFallThrough) {
  FakeOpener opener;
  opener.errors = {{"/proc/10/ns/net", ESRCH},
                   {"/proc/20/ns/net", EPERM},
                   {"/gone", ENOENT},
                   {"/odd", EINVAL}};
  NetnsRegistry registry(&opener);
  NetnsErrors errors;
  std::vector<NetnsCandidate> found = {
      Candidate(1, "x", {"/proc/10/ns/net", "/proc/11/ns/net"}),
      Candidate(2, "y", {"/proc/20/ns/net", "/proc/21/ns/net"}),
      Candidate(3, "z", {"/gone"}), Candidate(4, "w", {"/odd"})};
  registry.Update(found, &errors);
  EXPECT_EQ(opener.live, 1);  // x through its second holder
  EXPECT_EQ(errors.Of(NetnsError::kPermission), 1u);  // y: not retried on
  EXPECT_EQ(errors.Of(NetnsError::kVanished), 1u);    // z
  EXPECT_EQ(errors.Of(NetnsError::kOther), 1u);       // w
  EXPECT_EQ(registry.Unreadable(), 1u);
  const size_t opens = opener.opened.size();

  // Permission and other failures are remembered; a vanished one is tried
  // again (it may be back under a new holder).
  NetnsErrors again;
  registry.Update(found, &again);
  EXPECT_EQ(opener.opened.size(), opens + 1);
  EXPECT_EQ(opener.opened.back(), "/gone");
  EXPECT_EQ(again.Of(NetnsError::kVanished), 1u);
  EXPECT_EQ(again.Of(NetnsError::kPermission), 0u);
}

// /proc/<pid>/ns/net links as the scanner reads them, and cgroups for the
// container label.
void Process(TempTree& t, int pid, uint64_t netns, const std::string& cgroup) {
  const std::string dir = std::to_string(pid);
  t.Dir(dir + "/ns");
  t.Dir(dir + "/fd");
  t.Link("net:[" + std::to_string(netns) + "]", dir + "/ns/net");
  t.File(dir + "/cgroup", "0::" + cgroup + "\n");
}

TEST(NetnsDiscovery, FindsLabelsAndPathsOfEveryNamespace) {
  const std::string docker(64, 'a');
  TempTree t;
  Process(t, 30, 300, "/user.slice");  // our own namespace: left out
  Process(t, 11, 100, "/system.slice/web.service");
  Process(t, 10, 100, "/system.slice/web.service");
  Process(t, 21, 200, "/system.slice/docker-" + docker + ".scope");
  Process(t, 22, 200, "/system.slice/docker-" + docker + ".scope");
  Process(t, 40, 400, "/user.slice");
  t.Dir("41");  // no ns link (gone, or hidden): skipped

  RealProcFs fs(t.root());
  ProcScanner scanner(&fs);
  scanner.set_scan_fds(false);
  scanner.set_discover_netns(true);
  ProcessTable table;
  AttributionStats stats;
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());
  EXPECT_TRUE(table.processes.empty());
  ASSERT_EQ(table.netns.size(), 4u);

  FakeOpener opener;
  NetnsRegistry registry(&opener);
  DiscoveryInput in;
  in.seen = &table.netns;
  in.named = {{"web", 100}, {"idle", 500}};
  in.own_inode = 300;
  in.run_netns_dir = "/run/netns";
  in.procfs = "/p";
  std::vector<NetnsCandidate> found = DiscoverNamespaces(in, &fs, registry);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].inode, 100u);
  EXPECT_EQ(found[0].label, "web");
  EXPECT_EQ(found[0].paths,
            (std::vector<std::string>{"/run/netns/web", "/p/10/ns/net",
                                      "/p/11/ns/net"}));  // lowest pid first
  EXPECT_EQ(found[1].label, "docker:aaaaaaaaaaaa");
  EXPECT_EQ(found[2].label, "inode:400");
  EXPECT_EQ(found[3].label, "idle");  // named, no process in it
  EXPECT_EQ(found[3].paths, (std::vector<std::string>{"/run/netns/idle"}));

  // Once known, a namespace's cgroups are not read again for its label.
  NetnsErrors errors;
  registry.Update(found, &errors);
  found = DiscoverNamespaces(in, &fs, registry);
  EXPECT_EQ(found[1].label, "");
  EXPECT_EQ(found[0].label, "web");  // names cost nothing: always given
}

TEST(NetnsDiscovery, NamedNamespacesSkipsWhatIsNotANamespace) {
  TempTree t;
  t.File("plain", "");
  EXPECT_TRUE(NamedNamespaces(t.root()).empty());
  EXPECT_TRUE(NamedNamespaces(t.root() + "/missing").empty());
}

}  // namespace
}  // namespace sockwatch
