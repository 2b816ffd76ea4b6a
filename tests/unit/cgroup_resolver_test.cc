#include "collectors/cgroup_resolver.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "collectors/proc_scanner.h"

namespace sockwatch {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

// A fixture cgroup tree in a scratch directory, removed at the end.
class CgroupTree {
 public:
  CgroupTree() {
    std::string templ = ::testing::TempDir() + "/cgroup_test.XXXXXX";
    if (mkdtemp(templ.data()) != nullptr) root_ = templ;
  }
  ~CgroupTree() {
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }
  const std::string& root() const { return root_; }
  // Creates `rel` (and its parents) with a couple of control files; returns
  // its id (st_ino).
  uint64_t Dir(const std::string& rel) {
    const std::string path = root_ + "/" + rel;
    fs::create_directories(path);
    std::ofstream(path + "/cgroup.procs") << "";
    std::ofstream(path + "/memory.current") << "0\n";
    return Id(rel);
  }
  uint64_t Id(const std::string& rel) const {
    struct stat st;
    if (stat((root_ + "/" + rel).c_str(), &st) != 0) return 0;
    return st.st_ino;
  }
  void Remove(const std::string& rel) {
    std::error_code ec;
    fs::remove_all(root_ + "/" + rel, ec);
  }

 private:
  std::string root_;
};

struct FakeClock {
  TimePoint now{};
  CgroupResolver::Clock Fn() {
    return [this] { return now; };
  }
};

TEST(CgroupResolver, ResolvesDirectoriesById) {
  CgroupTree t;
  ASSERT_FALSE(t.root().empty());
  const uint64_t nginx = t.Dir("system.slice/nginx.service");
  const uint64_t init = t.Dir("system.slice/docker-abc.scope/init");
  const uint64_t session = t.Dir("user.slice/user-1000.slice/session-4.scope");
  ASSERT_EQ(symlink("system.slice", (t.root() + "/link").c_str()), 0);
  CgroupResolver resolver(t.root(), seconds(10));
  EXPECT_EQ(resolver.Resolve(nginx), "/system.slice/nginx.service");
  EXPECT_EQ(resolver.Resolve(init), "/system.slice/docker-abc.scope/init");
  EXPECT_EQ(resolver.Resolve(session),
            "/user.slice/user-1000.slice/session-4.scope");
  EXPECT_EQ(resolver.Resolve(t.Id("system.slice")), "/system.slice");
  EXPECT_EQ(resolver.Resolve(t.Id("")), "/");
  // Files are not cgroups; 0 means the kernel sent no id.
  EXPECT_EQ(resolver.Resolve(t.Id("system.slice/cgroup.procs")), "");
  EXPECT_EQ(resolver.Resolve(0), "");
  // root, system.slice, nginx, docker, init, user.slice, user-1000, session;
  // the symlink is not followed.
  EXPECT_EQ(resolver.stats().directories, 8u);
  EXPECT_FALSE(resolver.stats().truncated);
  EXPECT_EQ(UnitFromCgroup(resolver.Resolve(init)), "docker-abc.scope");
}

TEST(CgroupResolver, UnknownIdsRescanAtMostOncePerInterval) {
  CgroupTree t;
  const uint64_t a = t.Dir("system.slice/a.service");
  FakeClock clock;
  CgroupResolver resolver(t.root(), seconds(10), clock.Fn());
  EXPECT_EQ(resolver.Resolve(a), "/system.slice/a.service");
  EXPECT_EQ(resolver.stats().rescans, 1u);
  // Known ids never walk the tree.
  for (int i = 0; i < 100; ++i) resolver.Resolve(a);
  EXPECT_EQ(resolver.stats().rescans, 1u);

  const uint64_t b = t.Dir("system.slice/b.service");
  clock.now += seconds(1);
  EXPECT_EQ(resolver.Resolve(b), "");  // too soon after the last walk
  EXPECT_EQ(resolver.Resolve(123456789), "");
  EXPECT_EQ(resolver.stats().rescans, 1u);
  clock.now += seconds(9);
  EXPECT_EQ(resolver.Resolve(b), "/system.slice/b.service");
  EXPECT_EQ(resolver.stats().rescans, 2u);

  // A stale id keeps missing, but walks at most once per interval.
  for (int i = 0; i < 25; ++i) {
    clock.now += seconds(1);
    EXPECT_EQ(resolver.Resolve(123456789), "");
  }
  EXPECT_EQ(resolver.stats().rescans, 4u);  // at +10 s and +20 s

  // A walk replaces the map: removed cgroups drop out.
  t.Remove("system.slice/a.service");
  clock.now += seconds(10);
  EXPECT_EQ(resolver.Resolve(123456789), "");
  EXPECT_EQ(resolver.stats().rescans, 5u);
  EXPECT_EQ(resolver.Resolve(b), "/system.slice/b.service");
  EXPECT_EQ(resolver.stats().directories, 3u);  // root, system.slice, b
}

TEST(CgroupResolver, WalkIsBounded) {
  CgroupTree t;
  for (int i = 0; i < 20; ++i) t.Dir("s.slice/u" + std::to_string(i));
  FakeClock clock;
  CgroupResolver resolver(t.root(), seconds(10), clock.Fn(), 5);
  resolver.Resolve(t.Id("s.slice"));
  EXPECT_EQ(resolver.stats().rescans, 1u);
  EXPECT_TRUE(resolver.stats().truncated);
  EXPECT_LE(resolver.stats().directories, 5u);
}

TEST(CgroupResolver, MissingRootResolvesNothing) {
  FakeClock clock;
  CgroupResolver resolver("/nonexistent/cgroup2", seconds(10), clock.Fn());
  EXPECT_EQ(resolver.Resolve(1), "");
  EXPECT_EQ(resolver.stats().last_error, ENOENT);
  EXPECT_EQ(resolver.Resolve(1), "");
  EXPECT_EQ(resolver.stats().rescans, 1u);  // failed walks are rate-limited
}

TEST(CgroupUnitName, FromCgroupPath) {
  EXPECT_EQ(UnitFromCgroup("/system.slice/nginx.service"), "nginx.service");
  EXPECT_EQ(UnitFromCgroup("/user.slice/user-1000.slice/session-4.scope"),
            "session-4.scope");
  EXPECT_EQ(UnitFromCgroup("/system.slice/docker-abc.scope/init"),
            "docker-abc.scope");
  EXPECT_EQ(UnitFromCgroup("/a.service/b.scope/c/d"), "b.scope");
  EXPECT_EQ(UnitFromCgroup("/system.slice"), "-");
  EXPECT_EQ(UnitFromCgroup("/"), "-");
  EXPECT_EQ(UnitFromCgroup(""), "-");
  EXPECT_EQ(UnitFromCgroup("/x/.service"), "-");
  EXPECT_EQ(UnitFromCgroup("init.scope"), "init.scope");
  EXPECT_EQ(UnitFromCgroup("/a.service/"), "a.service");
}

}  // namespace
}  // namespace sockwatch
