// The sock_diag socket opened inside another network namespace
// (collectors/netns_socket.h) and MnlTransport built on it, against the real
// kernel: a dump through it sees exactly that namespace's sockets although
// the test thread never enters it; vanished namespaces give ENOENT; no
// descriptor is left behind. Needs root (ip netns add, setns).
#include "collectors/netns_socket.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "attribution_support.h"
#include "collectors/netlink_transport.h"
#include "collectors/sock_diag_collector.h"
#include "collectors/tcp_state.h"
#include "loopback.h"
#include "netns.h"
#include "side_netns.h"

namespace sockwatch::it {
namespace {

constexpr int kListeners = 5;

// LISTEN sockets of a dump by inode, and the count of every state.
class InodeSink : public ResettableSink {
 public:
  void Reset() override {
    listen_inodes.clear();
    total = 0;
  }
  void OnSocket(const SocketRecord& r) override {
    ++total;
    if (r.state == kListen) listen_inodes.insert(r.inode);
  }
  std::set<uint64_t> listen_inodes;
  size_t total = 0;
};

uint64_t SocketInode(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

MnlTransport::SocketFactory FactoryFor(const std::string& path) {
  return [path](int* error) { return OpenSockDiagSocketIn(path, error); };
}

// Dumps through `transport`; the LISTEN inodes, or a test failure.
std::set<uint64_t> ListenInodes(NetlinkTransport* transport) {
  SockDiagCollector collector(transport, {});
  InodeSink sink;
  CollectStats stats;
  const Status status = collector.Collect(sink, &stats);
  EXPECT_TRUE(status.ok()) << status.message();
  return sink.listen_inodes;
}

class NetnsSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SOCKWATCH_SKIP_UNLESS_ROOT();
    std::string error;
    side_ = SideNetns::Create(&error);
    ASSERT_NE(side_, nullptr) << error;
  }
  void TearDown() override {
    for (int fd : fds_) close(fd);
    side_.reset();
  }

  // Listeners on loopback made inside the side namespace (IPv4 and IPv6),
  // their inodes in *inodes.
  void MakeListeners(std::set<uint64_t>* inodes) {
    std::string error;
    const std::string entered = side_->RunInside([&] {
      for (int i = 0; i < kListeners && error.empty(); ++i) {
        const int fd =
            BoundSocket(LoopbackAddress(i % 2 == 1), 0, true, 0, &error);
        if (fd < 0) break;
        fds_.push_back(fd);
        if (listen(fd, 16) != 0) error = strerror(errno);
        inodes->insert(SocketInode(fd));
      }
    });
    ASSERT_EQ(entered, "");
    ASSERT_EQ(error, "");
    ASSERT_EQ(inodes->size(), size_t(kListeners));
  }

  std::unique_ptr<SideNetns> side_;
  std::vector<int> fds_;
};

TEST_F(NetnsSocketTest, InodeOfNameAndOfProcessAgree) {
  uint64_t by_name = 0;
  ASSERT_EQ(NetnsInode(side_->path(), &by_name), 0);
  EXPECT_EQ(by_name, side_->inode());
  uint64_t inside = 0;
  std::string link;
  ASSERT_EQ(side_->RunInside([&] {
    NetnsInode("/proc/thread-self/ns/net", &inside);
    char buffer[64] = {};
    if (readlink("/proc/thread-self/ns/net", buffer, sizeof(buffer) - 1) > 0) {
      link = buffer;
    }
  }),
            "");
  EXPECT_EQ(inside, by_name);
  EXPECT_EQ(ParseNetnsLink(link), by_name) << link;
  uint64_t host = 0;
  ASSERT_EQ(NetnsInode("/proc/self/ns/net", &host), 0);
  EXPECT_NE(host, by_name);
}

TEST_F(NetnsSocketTest, DumpSeesExactlyThatNamespace) {
  std::set<uint64_t> ours;
  ASSERT_NO_FATAL_FAILURE(MakeListeners(&ours));
  const uint64_t thread_ns = NetnsInodeOf("/proc/thread-self/ns/net");
  ASSERT_NE(thread_ns, side_->inode());

  Status status;
  auto inside = MnlTransport::Open(&status, FactoryFor(side_->path()));
  ASSERT_NE(inside, nullptr) << status.message();
  // Opening it did not move this thread.
  EXPECT_EQ(NetnsInodeOf("/proc/thread-self/ns/net"), thread_ns);

  EXPECT_EQ(ListenInodes(inside.get()), ours);
  // Reset() opens a new socket through the factory: same namespace.
  ASSERT_TRUE(inside->Reset().ok());
  EXPECT_EQ(ListenInodes(inside.get()), ours);

  // The namespace's name can go: the socket keeps it reachable.
  ASSERT_EQ(side_->Unname(), "");
  EXPECT_EQ(ListenInodes(inside.get()), ours);

  // From this thread's own namespace none of them is visible.
  auto here = MnlTransport::Open(&status);
  ASSERT_NE(here, nullptr) << status.message();
  const std::set<uint64_t> seen_here = ListenInodes(here.get());
  for (uint64_t inode : ours) EXPECT_EQ(seen_here.count(inode), 0u) << inode;
}

TEST_F(NetnsSocketTest, VanishedNamespacesGiveEnoent) {
  const std::string path = side_->path();
  ASSERT_EQ(side_->Unname(), "");
  int error = 0;
  EXPECT_EQ(OpenSockDiagSocketIn(path, &error), -1);
  EXPECT_EQ(error, ENOENT) << strerror(error);
  uint64_t inode = 0;
  EXPECT_EQ(NetnsInode(path, &inode), ENOENT);

  // A process that has exited and been reaped.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  const std::string gone = "/proc/" + std::to_string(pid) + "/ns/net";
  error = 0;
  EXPECT_EQ(OpenSockDiagSocketIn(gone, &error), -1);
  EXPECT_TRUE(error == ENOENT || error == ESRCH) << strerror(error);

  Status status;
  EXPECT_EQ(MnlTransport::Open(&status, FactoryFor(gone)), nullptr);
  EXPECT_TRUE(status.err() == ENOENT || status.err() == ESRCH)
      << status.message();

  // A file that is not a namespace.
  error = 0;
  EXPECT_EQ(OpenSockDiagSocketIn("/proc/self/status", &error), -1);
  EXPECT_EQ(error, EINVAL) << strerror(error);
  EXPECT_EQ(NetnsInode("/proc/self/status", &inode), EINVAL);
}

TEST_F(NetnsSocketTest, NoDescriptorLeaks) {
  std::set<uint64_t> ours;
  ASSERT_NO_FATAL_FAILURE(MakeListeners(&ours));
  const int baseline = FdCount(getpid());
  ASSERT_GT(baseline, 0);
  for (int i = 0; i < 200; ++i) {
    Status status;
    auto transport = MnlTransport::Open(&status, FactoryFor(side_->path()));
    ASSERT_NE(transport, nullptr) << "open #" << i << ": " << status.message();
    if (i % 50 == 0) {
      EXPECT_EQ(ListenInodes(transport.get()), ours);
      ASSERT_TRUE(transport->Reset().ok());
    }
    // The failing paths too: no such file, not a namespace.
    EXPECT_EQ(MnlTransport::Open(&status, FactoryFor("/run/netns/nx-sw")),
              nullptr);
    int error = 0;
    EXPECT_EQ(OpenSockDiagSocketIn("/proc/self/status", &error), -1);
  }
  EXPECT_EQ(FdCount(getpid()), baseline);
}

}  // namespace
}  // namespace sockwatch::it
