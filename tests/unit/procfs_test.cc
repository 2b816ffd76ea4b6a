#include "collectors/procfs.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/unit/temp_tree.h"

namespace sockwatch {
namespace {

namespace fs = std::filesystem;

using testing::TempTree;

TEST(ProcFsParse, SocketLink) {
  uint32_t inode = 0;
  EXPECT_TRUE(ParseSocketLink("socket:[123]", &inode));
  EXPECT_EQ(inode, 123u);
  EXPECT_TRUE(ParseSocketLink("socket:[4294967295]", &inode));
  EXPECT_EQ(inode, 4294967295u);
  inode = 7;
  for (const char* bad : {"socket:[4294967296]", "socket:[]", "socket:[12",
                          "socket:12]", "pipe:[5]", "/dev/null", "socket:[1x]",
                          "anon_inode:[eventfd]", "", "socket:[99999999999]"}) {
    EXPECT_FALSE(ParseSocketLink(bad, &inode)) << bad;
  }
  EXPECT_EQ(inode, 7u);
}

TEST(ProcFsParse, Decimal) {
  int v = 0;
  EXPECT_TRUE(ParseDecimal("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseDecimal("4194304", &v));
  EXPECT_EQ(v, 4194304);
  EXPECT_TRUE(ParseDecimal("2147483647", &v));
  EXPECT_EQ(v, 2147483647);
  for (const char* bad :
       {"", ".", "..", "self", "1a", "-1", "2147483648", "99999999999", " 1"}) {
    EXPECT_FALSE(ParseDecimal(bad, &v)) << bad;
  }
}

TEST(ProcFsFixture, ListsOnlyNumericEntries) {
  TempTree t;
  ASSERT_FALSE(t.root().empty());
  for (const char* d : {"1", "42", "1000", "sys", "1a", "net"}) t.Dir(d);
  t.File("uptime", "1.0 2.0\n");
  t.File("77x", "");
  t.Link("42", "self");
  RealProcFs procfs(t.root());
  std::vector<int> pids;
  ASSERT_TRUE(
      procfs.ListPids([&](int pid, uint64_t) { pids.push_back(pid); }).ok());
  std::sort(pids.begin(), pids.end());
  EXPECT_EQ(pids, (std::vector<int>{1, 42, 1000}));
  // The root fd is reused: a second listing starts from the beginning.
  pids.clear();
  ASSERT_TRUE(
      procfs.ListPids([&](int pid, uint64_t) { pids.push_back(pid); }).ok());
  EXPECT_EQ(pids.size(), 3u);
}

TEST(ProcFsFixture, ScansSocketFdsOnly) {
  TempTree t;
  t.Dir("7/fd");
  t.Link("/dev/null", "7/fd/0");
  t.Link("socket:[123]", "7/fd/3");
  t.Link("pipe:[5]", "7/fd/4");
  t.Link("socket:[456]", "7/fd/10");
  t.Link("anon_inode:[eventfd]", "7/fd/11");
  RealProcFs procfs(t.root());
  std::map<int, uint32_t> sockets;
  FdScan scan;
  ASSERT_EQ(procfs.ScanFds(
                7, nullptr,
                [&](int fd, uint32_t inode) { sockets[fd] = inode; }, &scan),
            0);
  EXPECT_EQ(sockets, (std::map<int, uint32_t>{{3, 123}, {10, 456}}));
  EXPECT_EQ(scan.open_fds, 5u);
  EXPECT_EQ(scan.vanished_fds, 0u);
}

// Remembered fds are reported without reading their links; fds no longer
// listed are not reported however they were remembered.
TEST(ProcFsFixture, RemembersKnownFds) {
  TempTree t;
  t.Dir("7/fd");
  t.Link("socket:[123]", "7/fd/3");
  t.Link("socket:[456]", "7/fd/4");
  t.Link("/dev/null", "7/fd/5");
  RealProcFs procfs(t.root());
  // fd 3 is trusted as 999 (not what its link says), fd 4 is not known, fd 6
  // is known but closed.
  const std::vector<uint32_t> known = {0, 0, 0, 999, 0, 0, 777};
  std::map<int, uint32_t> sockets;
  FdScan scan;
  ASSERT_EQ(procfs.ScanFds(
                7, &known, [&](int fd, uint32_t inode) { sockets[fd] = inode; },
                &scan),
            0);
  EXPECT_EQ(sockets, (std::map<int, uint32_t>{{3, 999}, {4, 456}}));
  EXPECT_EQ(scan.open_fds, 3u);
  EXPECT_EQ(scan.links_read, 2u);  // fds 4 and 5
}

TEST(ProcFsFixture, ErrorsAreErrnoValues) {
  TempTree t;
  t.Dir("8");  // no fd dir, no files: the process is gone
  t.Link("/usr/bin/nginx (deleted)", "8/exe");
  t.File("8/comm", "nginx\n");
  RealProcFs procfs(t.root());
  FdScan scan;
  auto ignore = [](int, uint32_t) {};
  EXPECT_EQ(procfs.ScanFds(8, nullptr, ignore, &scan), ENOENT);
  EXPECT_EQ(procfs.ScanFds(9, nullptr, ignore, &scan), ENOENT);
  std::string out = "stale";
  EXPECT_EQ(procfs.ReadFile(8, "limits", &out), ENOENT);
  EXPECT_EQ(out, "");
  EXPECT_EQ(procfs.ReadFile(8, "comm", &out), 0);
  EXPECT_EQ(out, "nginx\n");
  EXPECT_EQ(procfs.ReadLink(8, "exe", &out), 0);
  EXPECT_EQ(out, "/usr/bin/nginx (deleted)");
  EXPECT_EQ(procfs.ReadLink(8, "comm", &out), EINVAL);  // not a link

  // An fd entry that is not a link cannot be read: the walk fails with the
  // errno, it does not report a partial table as complete.
  t.Dir("9/fd/5");
  t.Link("socket:[1]", "9/fd/3");
  EXPECT_EQ(procfs.ScanFds(9, nullptr, ignore, &scan), EINVAL);
  EXPECT_EQ(scan.open_fds, 0u);

  RealProcFs missing(t.root() + "/nope");
  Status status = missing.ListPids([](int, uint64_t) {});
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.err(), ENOENT);
  EXPECT_EQ(missing.ReadFile(8, "comm", &out), ENOENT);
}

TEST(ProcFsFixture, LargeFileIsCut) {
  TempTree t;
  t.Dir("5");
  t.File("5/big", std::string(RealProcFs::kMaxFileSize + 100, 'x'));
  RealProcFs procfs(t.root());
  std::string out;
  ASSERT_EQ(procfs.ReadFile(5, "big", &out), 0);
  EXPECT_EQ(out.size(), RealProcFs::kMaxFileSize);
}

TEST(ProcFsFixture, ManyFdsSpanSeveralGetdentsCalls) {
  TempTree t;
  t.Dir("3/fd");
  constexpr int kFds = 3000;  // > one 64 KiB getdents64 buffer (~2700)
  for (int fd = 0; fd < kFds; ++fd) {
    t.Link("socket:[" + std::to_string(fd + 1) + "]",
           "3/fd/" + std::to_string(fd));
  }
  RealProcFs procfs(t.root());
  uint64_t sum = 0;
  uint32_t count = 0;
  FdScan scan;
  ASSERT_EQ(procfs.ScanFds(
                3, nullptr,
                [&](int fd, uint32_t inode) {
                  EXPECT_EQ(inode, static_cast<uint32_t>(fd) + 1);
                  sum += inode;
                  ++count;
                },
                &scan),
            0);
  EXPECT_EQ(count, static_cast<uint32_t>(kFds));
  EXPECT_EQ(sum, uint64_t{kFds} * (kFds + 1) / 2);
  EXPECT_EQ(scan.open_fds, static_cast<uint32_t>(kFds));
}

TEST(ProcFsReal, FindsOwnSockets) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  const int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(tcp, 0);
  std::map<int, uint32_t> want;
  for (int fd : {pair[0], pair[1], tcp}) {
    struct stat st;
    ASSERT_EQ(fstat(fd, &st), 0);
    want[fd] = static_cast<uint32_t>(st.st_ino);
  }
  RealProcFs procfs;
  bool listed_self = false;
  ASSERT_TRUE(
      procfs
          .ListPids([&](int pid, uint64_t) { listed_self |= pid == getpid(); })
          .ok());
  EXPECT_TRUE(listed_self);
  std::map<int, uint32_t> got;
  FdScan scan;
  ASSERT_EQ(procfs.ScanFds(
                getpid(), nullptr,
                [&](int fd, uint32_t inode) { got[fd] = inode; }, &scan),
            0);
  for (const auto& [fd, inode] : want) EXPECT_EQ(got[fd], inode) << fd;
  EXPECT_GE(scan.open_fds, 3u);
  std::string comm;
  EXPECT_EQ(procfs.ReadFile(getpid(), "comm", &comm), 0);
  EXPECT_FALSE(comm.empty());
  close(pair[0]);
  close(pair[1]);
  close(tcp);
}

}  // namespace
}  // namespace sockwatch
