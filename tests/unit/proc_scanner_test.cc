#include "collectors/proc_scanner.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/temp_tree.h"

namespace sockwatch {
namespace {

namespace fs = std::filesystem;

using testing::TempTree;

// /proc/<pid>/limits as the kernel formats it.
std::string Limits(const char* soft, const char* hard) {
  char line[128];
  std::snprintf(line, sizeof(line), "%-25s %-20s %-20s %-10s\n",
                "Max open files", soft, hard, "files");
  return "Limit                     Soft Limit           Hard Limit           "
         "Units     \n"
         "Max cpu time              unlimited            unlimited            "
         "seconds   \n" +
         std::string(line);
}

// A process directory in a fixture proc tree.
void AddProcess(TempTree* t, int pid, const std::string& comm,
                const std::string& exe, const std::string& cgroup,
                const std::string& limits,
                const std::vector<std::pair<int, std::string>>& fds) {
  const std::string p = std::to_string(pid);
  t->Dir(p + "/fd");
  t->File(p + "/comm", comm + "\n");
  t->Link(exe, p + "/exe");
  t->File(p + "/cgroup", cgroup);
  t->File(p + "/limits", limits);
  for (const auto& [fd, target] : fds) {
    t->Link(target, p + "/fd/" + std::to_string(fd));
  }
}

TEST(ProcScannerFixture, BuildsTheExactTable) {
  TempTree t;
  ASSERT_FALSE(t.root().empty());
  // No socket: not in the table.
  AddProcess(&t, 1, "systemd", "/usr/lib/systemd/systemd", "0::/init.scope\n",
             Limits("1024", "4096"), {{0, "/dev/null"}, {1, "pipe:[9]"}});
  AddProcess(&t, 100, "nginx", "/usr/sbin/nginx",
             "0::/system.slice/nginx.service\n", Limits("1024", "4096"),
             {{0, "/dev/null"},
              {3, "socket:[1000]"},
              {4, "pipe:[5]"},
              {5, "socket:[2000]"},
              {6, "socket:[1000]"}});  // dup of fd 3: still not shared
  AddProcess(&t, 205, "nginx", "/usr/sbin/nginx (deleted)",
             "12:memory:/system.slice/nginx.service\n"
             "0::/system.slice/nginx.service\n",
             Limits("unlimited", "unlimited"),
             {{3, "socket:[2000]"}, {7, "socket:[3000]"}});
  // Lower pid than 100 and 205 (but "30" > "205" as text): owns 3000.
  AddProcess(&t, 30, "sshd", "/usr/sbin/sshd",
             "0::/user.slice/user-1000.slice/session-4.scope\n", "",
             {{9, "socket:[3000]"}});
  // Not processes.
  t.Dir("sys/fd");
  t.Dir("1a/fd");
  t.Link("socket:[4000]", "1a/fd/3");
  t.File("uptime", "1.0 2.0\n");
  t.Link("100", "self");

  RealProcFs procfs(t.root());
  ProcScanner scanner(&procfs);
  ProcessTable table;
  AttributionStats stats;
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());

  ASSERT_EQ(table.processes.size(), 3u);
  const ProcessInfo& sshd = table.processes[0];
  EXPECT_EQ(sshd.pid, 30);
  EXPECT_EQ(sshd.comm, "sshd");
  EXPECT_EQ(sshd.exe, "sshd");
  EXPECT_EQ(sshd.cgroup, "/user.slice/user-1000.slice/session-4.scope");
  EXPECT_EQ(sshd.unit, "session-4.scope");
  EXPECT_EQ(sshd.open_fds, 1u);
  EXPECT_EQ(sshd.max_fds, 0u);  // empty limits file: unknown
  const ProcessInfo& nginx = table.processes[1];
  EXPECT_EQ(nginx.pid, 100);
  EXPECT_EQ(nginx.comm, "nginx");
  EXPECT_EQ(nginx.exe, "nginx");
  EXPECT_EQ(nginx.cgroup, "/system.slice/nginx.service");
  EXPECT_EQ(nginx.unit, "nginx.service");
  EXPECT_EQ(nginx.open_fds, 5u);
  EXPECT_EQ(nginx.max_fds, 1024u);
  const ProcessInfo& worker = table.processes[2];
  EXPECT_EQ(worker.pid, 205);
  EXPECT_EQ(worker.exe, "nginx");
  EXPECT_EQ(worker.unit, "nginx.service");
  EXPECT_EQ(worker.open_fds, 2u);
  EXPECT_EQ(worker.max_fds, UINT64_MAX);

  ASSERT_EQ(table.owners.size(), 3u);
  const SocketOwner* o = table.Find(1000);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->process, 1u);
  EXPECT_EQ(o->fd, 3);
  EXPECT_FALSE(o->shared);
  o = table.Find(2000);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->process, 1u);  // pid 100 < 205
  EXPECT_EQ(o->fd, 5);
  EXPECT_TRUE(o->shared);
  o = table.Find(3000);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->process, 0u);  // pid 30
  EXPECT_EQ(o->fd, 9);
  EXPECT_TRUE(o->shared);
  EXPECT_EQ(table.Find(4000), nullptr);
  EXPECT_EQ(table.Find(0), nullptr);
  EXPECT_EQ(table.Find(999), nullptr);
  EXPECT_EQ(table.Find(5000), nullptr);

  EXPECT_EQ(stats.processes_scanned, 4u);
  EXPECT_EQ(stats.socket_fds, 6u);
  EXPECT_EQ(stats.unreadable_processes, 0u);
  for (uint64_t n : stats.errors) EXPECT_EQ(n, 0u);

  // A second scan into the same table replaces it.
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());
  EXPECT_EQ(table.processes.size(), 3u);
  EXPECT_EQ(table.owners.size(), 3u);
  EXPECT_EQ(stats.socket_fds, 6u);
}

// A ProcFs that serves canned answers and errors.
class FakeProcFs : public ProcFs {
 public:
  struct Proc {
    int scan_error = 0;
    int error_after_sockets = 0;  // ScanFds fails after delivering sockets
    std::vector<std::pair<int, uint32_t>> sockets;
    uint64_t token = 1;
    uint32_t open_fds = 0;
    uint32_t vanished_fds = 0;
    std::map<std::string, std::pair<int, std::string>> files;  // and links
  };

  Status ListPids(
      const std::function<void(int pid, uint64_t token)>& fn) override {
    if (list_error != 0) return Status::Error("cannot list", list_error);
    for (const auto& [pid, proc] : order) fn(pid, proc.token);
    return Status::Ok();
  }
  // Serves a socket from `known` where it has one, as RealProcFs does.
  int ScanFds(int pid, const std::vector<uint32_t>* known,
              const std::function<void(int fd, uint32_t inode)>& fn,
              FdScan* scan) override {
    const Proc& p = Get(pid);
    scan->open_fds = p.open_fds;
    scan->vanished_fds = p.vanished_fds;
    scan->links_read = 0;
    if (p.scan_error != 0) return p.scan_error;
    for (const auto& [fd, inode] : p.sockets) {
      const bool remembered = known != nullptr &&
                              static_cast<size_t>(fd) < known->size() &&
                              (*known)[fd] != 0;
      if (!remembered) ++scan->links_read;
      fn(fd, remembered ? (*known)[fd] : inode);
    }
    return p.error_after_sockets;
  }
  int ReadFile(int pid, const char* name, std::string* out) override {
    return Read(pid, name, out);
  }
  int ReadLink(int pid, const char* name, std::string* out) override {
    return Read(pid, name, out);
  }

  int list_error = 0;
  std::vector<std::pair<int, Proc>> order;  // in "directory" order
  std::set<std::pair<int, std::string>> reads;

 private:
  const Proc& Get(int pid) const {
    for (const auto& entry : order) {
      if (entry.first == pid) return entry.second;
    }
    static const Proc kGone = [] {
      Proc p;
      p.scan_error = ESRCH;
      return p;
    }();
    return kGone;
  }
  int Read(int pid, const char* name, std::string* out) {
    reads.insert({pid, name});
    out->clear();
    const Proc& p = Get(pid);
    auto it = p.files.find(name);
    if (it == p.files.end()) return ENOENT;
    if (it->second.first == 0) *out = it->second.second;
    return it->second.first;
  }
};

FakeProcFs::Proc Healthy(std::vector<std::pair<int, uint32_t>> sockets) {
  FakeProcFs::Proc p;
  p.sockets = std::move(sockets);
  p.open_fds = static_cast<uint32_t>(p.sockets.size());
  p.files = {{"comm", {0, "proc\n"}},
             {"exe", {0, "/usr/bin/proc"}},
             {"cgroup", {0, "0::/system.slice/proc.service\n"}},
             {"limits", {0, Limits("65536", "65536")}}};
  return p;
}

TEST(ProcScannerFake, RacesAndErrorsAreCountedAndSkipped) {
  FakeProcFs fake;
  FakeProcFs::Proc p;
  p.scan_error = ENOENT;  // vanished between listing and fd scan
  fake.order.push_back({10, p});
  p.scan_error = EACCES;  // another user's process
  fake.order.push_back({11, p});
  p = Healthy({{3, 500}, {4, 501}});
  p.vanished_fds = 1;  // one fd closed between getdents and readlink
  fake.order.push_back({12, p});
  p = Healthy({{5, 600}});
  p.files["comm"] = {EACCES, ""};
  fake.order.push_back({13, p});
  p = Healthy({{3, 700}});
  p.error_after_sockets = ESRCH;  // exited in the middle of the fd walk
  fake.order.push_back({14, p});
  p = Healthy({{3, 800}});
  p.files["comm"] = {ENOENT, ""};  // exited before its metadata was read
  fake.order.push_back({15, p});
  p.scan_error = EIO;
  fake.order.push_back({16, p});
  std::swap(fake.order.front(), fake.order.back());  // not in pid order

  ProcScanner scanner(&fake);
  ProcessTable table;
  AttributionStats stats;
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());

  EXPECT_EQ(stats.Of(AttributionError::kVanished), 4u);    // 10, 12, 14, 15
  EXPECT_EQ(stats.Of(AttributionError::kPermission), 2u);  // 11, 13's comm
  EXPECT_EQ(stats.Of(AttributionError::kOther), 1u);       // 16
  EXPECT_EQ(stats.unreadable_processes, 1u);
  EXPECT_EQ(stats.processes_scanned, 3u);  // 12, 13, 15
  EXPECT_EQ(stats.socket_fds, 4u);

  ASSERT_EQ(table.processes.size(), 3u);
  EXPECT_EQ(table.processes[0].pid, 12);
  EXPECT_EQ(table.processes[0].comm, "proc");
  EXPECT_EQ(table.processes[0].exe, "proc");
  EXPECT_EQ(table.processes[0].unit, "proc.service");
  EXPECT_EQ(table.processes[0].max_fds, 65536u);
  EXPECT_EQ(table.processes[1].pid, 13);
  EXPECT_EQ(table.processes[1].comm, "");  // unreadable, the rest is read
  EXPECT_EQ(table.processes[1].exe, "proc");
  EXPECT_EQ(table.processes[1].unit, "proc.service");
  EXPECT_EQ(table.processes[2].pid, 15);
  EXPECT_EQ(table.processes[2].unit, "-");
  // Once a process is known to be gone, its other files are not tried.
  EXPECT_EQ(fake.reads.count({15, "exe"}), 0u);
  EXPECT_EQ(fake.reads.count({13, "limits"}), 1u);
  // Metadata is read only for socket holders.
  for (const auto& read : fake.reads) EXPECT_NE(read.first, 16);

  ASSERT_EQ(table.owners.size(), 4u);
  for (uint32_t inode : {500u, 501u, 600u, 800u}) {
    ASSERT_NE(table.Find(inode), nullptr) << inode;
  }
  EXPECT_EQ(table.Find(500)->process, 0u);
  EXPECT_EQ(table.Find(600)->process, 1u);
  EXPECT_EQ(table.Find(800)->process, 2u);
  EXPECT_EQ(table.Find(700), nullptr);  // from the failed walk: dropped
}

// Remember() keeps only sockets the dump claimed that one fd held, and only
// for the same process (token); the next scan takes them without reading.
TEST(ProcScannerFake, RemembersClaimedSingleFdSockets) {
  FakeProcFs fake;
  fake.order.push_back({12, Healthy({{3, 500}, {4, 501}, {5, 502}})});
  fake.order.push_back({13, Healthy({{3, 600}, {7, 502}})});  // 502: shared
  fake.order.push_back({14, Healthy({{3, 700}, {4, 700}})});  // 700: dup
  FakeProcFs::Proc sparse = Healthy({{100000, 800}});
  fake.order.push_back({15, sparse});
  fake.order.push_back({16, Healthy({{3, 900}})});

  ProcScanner scanner(&fake);
  ProcessTable table;
  AttributionStats stats;
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());
  EXPECT_EQ(stats.links_read, 9u);
  // The dump finds all but 501.
  for (uint32_t inode : {500u, 502u, 600u, 700u, 800u, 900u}) {
    ASSERT_NE(table.Claim(inode), nullptr) << inode;
  }
  scanner.Remember(table);

  // Every fd now points elsewhere; pid 16 is a new process with the old pid.
  for (auto& [pid, proc] : fake.order) {
    for (auto& socket : proc.sockets) socket.second += 10000;
  }
  fake.order.back().second.token = 2;
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());
  // Remembered, so not read: 500 (pid 12 fd 3) and 600 (pid 13 fd 3).
  EXPECT_EQ(stats.links_read, 7u);
  EXPECT_EQ(table.Find(500)->process, 0u);
  EXPECT_EQ(table.Find(600)->process, 1u);
  for (uint32_t inode : {10501u, 10502u, 10700u, 10800u, 10900u}) {
    EXPECT_NE(table.Find(inode), nullptr) << inode;
  }
  for (uint32_t inode : {501u, 502u, 700u, 800u, 900u, 10500u, 10600u}) {
    EXPECT_EQ(table.Find(inode), nullptr) << inode;
  }

  // Without a new Remember() everything is read again.
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());
  EXPECT_EQ(stats.links_read, 9u);
  EXPECT_NE(table.Find(10500), nullptr);
}

// A socket that gains a second holder after it was remembered is read again
// one scan later, so the shared answer is right from then on.
TEST(ProcScannerFake, ForkedSocketIsReadAgain) {
  FakeProcFs fake;
  fake.order.push_back({20, Healthy({{3, 500}})});
  ProcScanner scanner(&fake);
  ProcessTable table;
  AttributionStats stats;
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());
  ASSERT_NE(table.Claim(500), nullptr);
  scanner.Remember(table);

  // pid 20 forks 21, then replaces its fd 3 with another socket.
  fake.order.push_back({21, Healthy({{3, 500}})});
  fake.order.front().second.sockets = {{3, 555}};
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());
  EXPECT_EQ(stats.links_read, 1u);       // 21's fd only
  EXPECT_TRUE(table.Find(500)->shared);  // the stale answer, one sample
  ASSERT_NE(table.Claim(500), nullptr);
  scanner.Remember(table);
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());
  EXPECT_EQ(stats.links_read, 2u);
  EXPECT_EQ(table.Find(500)->process, 1u);  // pid 21 alone
  EXPECT_FALSE(table.Find(500)->shared);
  EXPECT_EQ(table.Find(555)->process, 0u);
}

TEST(ProcScannerFake, UnlistableRootFailsTheScan) {
  FakeProcFs fake;
  fake.order.push_back({1, Healthy({{3, 1}})});
  ProcScanner scanner(&fake);
  ProcessTable table;
  AttributionStats stats;
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());
  EXPECT_EQ(table.owners.size(), 1u);
  fake.list_error = EACCES;
  Status status = scanner.Scan(&table, &stats);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.err(), EACCES);
  EXPECT_TRUE(table.processes.empty());
  EXPECT_TRUE(table.owners.empty());
}

TEST(ProcScannerReal, FindsOwnSockets) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  const int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(tcp, 0);
  std::string comm;
  std::getline(std::ifstream("/proc/self/comm"), comm);

  RealProcFs procfs;
  ProcScanner scanner(&procfs);
  ProcessTable table;
  AttributionStats stats;
  ASSERT_TRUE(scanner.Scan(&table, &stats).ok());
  EXPECT_GT(stats.processes_scanned, 0u);
  for (int fd : {pair[0], pair[1], tcp}) {
    struct stat st;
    ASSERT_EQ(fstat(fd, &st), 0);
    const SocketOwner* owner = table.Find(static_cast<uint32_t>(st.st_ino));
    ASSERT_NE(owner, nullptr) << fd;
    ASSERT_LT(owner->process, table.processes.size());
    const ProcessInfo& me = table.processes[owner->process];
    EXPECT_EQ(me.pid, getpid());
    EXPECT_EQ(me.comm, comm);
    EXPECT_EQ(owner->fd, fd);
    EXPECT_FALSE(owner->shared);
    EXPECT_GE(me.open_fds, 3u);
    EXPECT_GT(me.max_fds, 0u);
    EXPECT_FALSE(me.exe.empty());
  }
  close(pair[0]);
  close(pair[1]);
  close(tcp);
}

TEST(ProcScannerParse, Helpers) {
  EXPECT_EQ(CgroupV2Path("0::/system.slice/a.service\n"),
            "/system.slice/a.service");
  EXPECT_EQ(CgroupV2Path("12:memory:/x\n1:name=systemd:/y\n0::/z\n"), "/z");
  EXPECT_EQ(CgroupV2Path("0::/gone.scope (deleted)\n"), "/gone.scope");
  EXPECT_EQ(CgroupV2Path("0::/"), "/");
  EXPECT_EQ(CgroupV2Path("4:memory:/x\n10::/y\n"), "");
  EXPECT_EQ(CgroupV2Path(""), "");
  EXPECT_EQ(MaxOpenFiles(Limits("1024", "4096")), 1024u);
  EXPECT_EQ(MaxOpenFiles(Limits("unlimited", "unlimited")), UINT64_MAX);
  EXPECT_EQ(MaxOpenFiles(Limits("18446744073709551615", "1")), UINT64_MAX);
  EXPECT_EQ(MaxOpenFiles(Limits("18446744073709551616", "1")), 0u);
  EXPECT_EQ(MaxOpenFiles(Limits("12x", "4096")), 0u);
  EXPECT_EQ(MaxOpenFiles("Max cpu time  unlimited  unlimited  seconds\n"), 0u);
  EXPECT_EQ(MaxOpenFiles("xMax open files 5 5 files\n"), 0u);
  EXPECT_EQ(MaxOpenFiles(""), 0u);
  EXPECT_EQ(ExeName("/usr/bin/nginx"), "nginx");
  EXPECT_EQ(ExeName("/usr/bin/nginx (deleted)"), "nginx");
  EXPECT_EQ(ExeName("nginx"), "nginx");
  EXPECT_EQ(ExeName(""), "");
  EXPECT_EQ(AttributionErrorName(AttributionError::kVanished), "vanished");
  EXPECT_EQ(AttributionErrorName(AttributionError::kPermission), "permission");
  EXPECT_EQ(AttributionErrorName(AttributionError::kOther), "other");
  EXPECT_EQ(ClassifyErrno(ESRCH), AttributionError::kVanished);
  EXPECT_EQ(ClassifyErrno(EPERM), AttributionError::kPermission);
  EXPECT_EQ(ClassifyErrno(EIO), AttributionError::kOther);
}

}  // namespace
}  // namespace sockwatch
