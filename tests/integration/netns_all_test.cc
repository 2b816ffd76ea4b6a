// `namespaces: all` end to end: the daemon runs in the test's own (host)
// namespace and must find, enter (from a thread of its own), sample and label
// every other network namespace: named ones (`ip netns add`) by their name,
// ones held only by processes by `inode:<n>`, ones whose holders are in a
// container's cgroup by the container; and forget them (series, sockets,
// descriptors) when they go. Each namespace here holds a known mix made by
// two named agents (held_netns.h). Needs root.
//
// Other tests run in parallel and make namespaces of their own, which this
// daemon sees too: exact checks are made only on this test's labels, and
// host-wide sums are compared within one scrape.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alerting_harness.h"
#include "attribution_json.h"
#include "attribution_support.h"
#include "daemon_runner.h"
#include "held_netns.h"
#include "metrics_view.h"
#include "mix_fixture.h"
#include "netns.h"
#include "netns_expect.h"

namespace sockwatch::it {
namespace {

// Samples (1 s apart) allowed for the daemon to show a change.
constexpr int kSamples = 8;

// Every namespace, 1 s samples, and room for every process of a busy host
// in the per-process series (the agents hold only a few sockets each).
std::string NetnsConfig(const std::string& extra = "") {
  return "interval: 1s\n"
         "namespaces: all\n"
         "processes:\n"
         "  top_n: 10000\n" +
         extra;
}

class NetnsAllTest : public ::testing::Test {
 protected:
  void SetUp() override { SOCKWATCH_SKIP_UNLESS_ROOT(); }

  void TearDown() override {
    daemon_.reset();  // stops it (by pid)
    held_.clear();    // kills the agents (by pid), removes the names
    // Deepest first; a cgroup is busy until its last process is reaped.
    for (auto it = cgroups_.rbegin(); it != cgroups_.rend(); ++it) {
      const std::string& dir = *it;
      const bool removed = WaitFor(milliseconds(3000), milliseconds(50), [&] {
        return rmdir(dir.c_str()) == 0 || errno == ENOENT;
      });
      if (!removed) ADD_FAILURE() << "cannot remove cgroup " << dir;
    }
  }

  // A namespace with its agents and mix; a fatal failure when it cannot be
  // made (use ASSERT_NO_FATAL_FAILURE).
  void Hold(const HeldOptions& options, HeldNetns** out) {
    std::string error;
    auto held = HeldNetns::Create(options, &error);
    ASSERT_NE(held, nullptr) << error;
    *out = held.get();
    held_.push_back(std::move(held));
  }

  void StartDaemon(const std::string& config) {
    DaemonOptions options;
    options.config_yaml = config;
    options.port = FreePort();
    ASSERT_NE(options.port, 0);
    std::string error;
    daemon_ = Daemon::Start(nullptr, options, &error);  // in our namespace
    ASSERT_NE(daemon_, nullptr) << error;
    const std::string problem = daemon_->WaitReady(milliseconds(20000));
    ASSERT_EQ(problem, "");
  }

  // Scrapes fresh samples until `problems` returns "", for at most kSamples
  // of them; the last scrape, with a test failure (the last problems) when
  // it never did.
  std::optional<Exposition> ScrapeUntilRight(
      const std::function<std::string(const Exposition&)>& problems) {
    std::string last;
    bool accepted = false;
    std::string error;
    auto scrape = daemon_->ScrapeUntil(
        [&](const Exposition& s) {
          last = problems(s);
          return last.empty();
        },
        kSamples, &accepted, &error);
    if (!scrape) {
      ADD_FAILURE() << error;
    } else if (!accepted) {
      ADD_FAILURE() << "after " << kSamples << " samples:" << last;
    }
    return scrape;
  }

  std::optional<Json> GetJson(const std::string& target) {
    std::string error;
    auto response = daemon_->Get(target, &error);
    if (!response || response->status != 200) {
      ADD_FAILURE() << "GET " << target << ": "
                    << (response ? response->body : error);
      return std::nullopt;
    }
    auto json = Json::Parse(response->body, &error);
    if (!json) ADD_FAILURE() << "GET " << target << ": " << error;
    return json;
  }

  // CLOSE_WAIT rows of `process` in /sockets whose "netns" is `label`.
  int CloseWaitRows(const std::string& process, const std::string& label) {
    auto json = GetJson("/sockets?state=close_wait&process=" + process +
                        "&limit=10000");
    if (!json) return -1;
    int n = 0;
    for (const Json& row : (*json)["sockets"].Items()) {
      EXPECT_TRUE(row["netns"].IsString()) << "no netns: " << row.Dump();
      if (row["netns"].String() == label) ++n;
    }
    return n;
  }

  // The daemon's open descriptors minus the namespaces it sampled, which is
  // constant if it keeps exactly one sock_diag socket per namespace sampled
  // (and closes those of namespaces that are gone). Read in the idle time
  // right after a sample, until two readings in a row agree (at most 8).
  std::optional<int> FdsBeyondNamespaces() {
    constexpr int kNone = INT_MIN;
    int previous = kNone;
    double after = 0;
    for (int i = 0; i < 8; ++i) {
      std::string error;
      auto scrape = daemon_->ScrapeNewSample(after, milliseconds(5000), &error);
      if (!scrape) {
        ADD_FAILURE() << error;
        return std::nullopt;
      }
      after = SampleTimestamp(*scrape);
      const auto sampled = scrape->Value(kNetnsSampled);
      if (!sampled) {
        ADD_FAILURE() << "no " << kNetnsSampled;
        return std::nullopt;
      }
      // Lets the daemon close the connection of the scrape.
      std::this_thread::sleep_for(milliseconds(100));
      const int fds = FdCount(daemon_->process().pid());
      auto check = daemon_->Scrape(&error);
      if (fds < 0 || !check) {
        ADD_FAILURE() << "fd count " << fds << ": " << error;
        return std::nullopt;
      }
      if (SampleTimestamp(*check) != after) {  // a sample ran meanwhile
        previous = kNone;
        continue;
      }
      const int offset = fds - static_cast<int>(*sampled);
      if (offset == previous) return offset;
      previous = offset;
    }
    ADD_FAILURE() << "the daemon's fd count never held still";
    return std::nullopt;
  }

  std::unique_ptr<Daemon> daemon_;
  std::vector<std::unique_ptr<HeldNetns>> held_;
  std::vector<std::string> cgroups_;  // made by the test, parents first
};

TEST_F(NetnsAllTest, SamplesLabelsAndForgetsEveryNamespace) {
  HeldNetns* named = nullptr;
  HeldNetns* held_b = nullptr;
  HeldNetns* held_c = nullptr;
  // {listeners, established pairs, CLOSE_WAIT leaks, first port}
  ASSERT_NO_FATAL_FAILURE(Hold({"nsa", {1, 2, 1, 7101}, true, ""}, &named));
  ASSERT_NO_FATAL_FAILURE(Hold({"nsb", {2, 1, 3, 7201}, false, ""}, &held_b));
  ASSERT_NO_FATAL_FAILURE(Hold({"nsc", {1, 3, 2, 7301}, false, ""}, &held_c));
  const std::string label_a = named->DefaultLabel();
  const std::string label_b = held_b->DefaultLabel();
  const std::string label_c = held_c->DefaultLabel();
  ASSERT_EQ(label_b.rfind("inode:", 0), 0u) << label_b;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(NetnsConfig()));

  auto scrape = ScrapeUntilRight([&](const Exposition& s) {
    return NetnsMismatch(s, label_a, *named) +
           NetnsMismatch(s, label_b, *held_b) +
           NetnsMismatch(s, label_c, *held_c);
  });
  ASSERT_TRUE(scrape);
  EXPECT_EQ(NetnsSumMismatch(*scrape), "");
  EXPECT_GE(scrape->Value(kNetnsSampled).value_or(0), 4)
      << "host + 3 namespaces at least";
  // The daemon's own listener is in the host namespace.
  EXPECT_GE(
      scrape->Value(kNetnsSockets, {{"netns", "host"}, {"state", "listen"}})
          .value_or(0),
      1);

  EXPECT_EQ(CloseWaitRows("nsa-srv", label_a), 1);
  EXPECT_EQ(CloseWaitRows("nsb-srv", label_b), 3);
  EXPECT_EQ(CloseWaitRows("nsc-srv", label_c), 2);
  EXPECT_EQ(CloseWaitRows("nsb-cli", label_b), 0);

  // Churn: the named namespace is deleted and its holders killed; the
  // holders of B are killed, which ends B; a new namespace E appears.
  const std::optional<int> fds_before = FdsBeyondNamespaces();
  ASSERT_TRUE(fds_before);
  named->Destroy();
  held_b->Destroy();
  HeldNetns* held_e = nullptr;
  ASSERT_NO_FATAL_FAILURE(Hold({"nse", {3, 1, 2, 7501}, false, ""}, &held_e));
  const std::string label_e = held_e->DefaultLabel();
  scrape = ScrapeUntilRight([&](const Exposition& s) {
    return NetnsLeftover(s, label_a) + NetnsLeftover(s, label_b) +
           NetnsMismatch(s, label_c, *held_c) +
           NetnsMismatch(s, label_e, *held_e);
  });
  ASSERT_TRUE(scrape);
  EXPECT_EQ(NetnsSumMismatch(*scrape), "");
  EXPECT_EQ(CloseWaitRows("nse-srv", label_e), 2);
  EXPECT_EQ(CloseWaitRows("nsb-srv", label_b), 0);
  // One socket per namespace sampled: those of A and B were closed (an
  // open one would also keep the dead namespace alive in the kernel).
  const std::optional<int> fds_after = FdsBeyondNamespaces();
  ASSERT_TRUE(fds_after);
  EXPECT_EQ(*fds_after, *fds_before);
}

TEST_F(NetnsAllTest, RuleByNetnsAndProcessFiresOnlyWhereTheLeakIs) {
  HeldNetns* leaky = nullptr;
  HeldNetns* calm = nullptr;
  ASSERT_NO_FATAL_FAILURE(Hold({"nsl", {1, 1, 3, 7601}, false, ""}, &leaky));
  ASSERT_NO_FATAL_FAILURE(Hold({"nsq", {1, 1, 2, 7701}, true, ""}, &calm));
  const std::string leaky_label = leaky->DefaultLabel();
  const std::string calm_label = calm->DefaultLabel();
  ASSERT_NO_FATAL_FAILURE(
      StartDaemon(NetnsConfig("rules:\n"
                              "  - name: NetnsLeak\n"
                              "    state: close_wait\n"
                              "    by: [netns, process]\n"
                              "    count_above: 2\n")));
  ASSERT_TRUE(ScrapeUntilRight([&](const Exposition& s) {
    return NetnsMismatch(s, leaky_label, *leaky) +
           NetnsMismatch(s, calm_label, *calm);
  }));

  std::vector<ListedAlert> alerts;
  const ListedAlert* firing = nullptr;
  std::string last = "no answer";
  WaitFor(milliseconds(kSamples * 1000), milliseconds(250), [&] {
    auto response = daemon_->Get("/alerts", &last);
    if (!response) return false;
    auto parsed = ParseSockwatchAlerts(response->body);
    last = response->body;
    if (!parsed) return false;
    alerts = *parsed;
    firing = FindAlert(alerts, {{"alertname", "NetnsLeak"},
                                {"netns", leaky_label},
                                {"process", "nsl-srv"}});
    return firing != nullptr && firing->state == "firing";
  });
  ASSERT_NE(firing, nullptr) << "/alerts: " << last;
  EXPECT_EQ(firing->state, "firing");
  EXPECT_EQ(
      FindAlert(alerts, {{"alertname", "NetnsLeak"}, {"netns", calm_label}}),
      nullptr)
      << "2 CLOSE_WAIT is not above 2: " << last;
  EXPECT_EQ(
      FindAlert(alerts, {{"alertname", "NetnsLeak"}, {"process", "nsl-cli"}}),
      nullptr)
      << last;
}

TEST_F(NetnsAllTest, ContainerNamespacesAreNamedByTheirCgroup) {
  const std::string root = Cgroup2Mount();
  if (root.empty() || access(root.c_str(), W_OK) != 0) {
    GTEST_SKIP() << "needs a writable cgroup v2 hierarchy to fake containers";
  }
  const std::string id = RandomHex(64);
  const std::string pod_id = RandomHex(64);
  const std::string uid = RandomHex(8) + "-" + RandomHex(4) + "-" +
                          RandomHex(4) + "-" + RandomHex(4) + "-" +
                          RandomHex(12);
  // What docker (systemd driver) and kubelet (cgroupfs driver) would make,
  // below a slice of our own.
  const std::string slice =
      root + "/sockwatch-it-" + std::to_string(getpid()) + ".slice";
  const std::string docker = slice + "/docker-" + id + ".scope";
  const std::string pod = slice + "/kubepods/besteffort/pod" + uid;
  const std::string pod_container = pod + "/" + pod_id;
  for (const std::string& dir :
       {slice, docker, slice + "/kubepods", slice + "/kubepods/besteffort", pod,
        pod_container}) {
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir << ": " << strerror(errno);
    cgroups_.push_back(dir);
  }

  HeldNetns* in_docker = nullptr;
  HeldNetns* in_pod = nullptr;
  ASSERT_NO_FATAL_FAILURE(
      Hold({"nsd", {1, 1, 1, 7801}, false, docker}, &in_docker));
  ASSERT_NO_FATAL_FAILURE(
      Hold({"nsp", {2, 0, 2, 7901}, false, pod_container}, &in_pod));
  ASSERT_NO_FATAL_FAILURE(StartDaemon(NetnsConfig()));
  const std::string docker_label = "docker:" + id.substr(0, 12);
  const std::string pod_label = "pod:" + uid;
  auto scrape = ScrapeUntilRight([&](const Exposition& s) {
    return NetnsMismatch(s, docker_label, *in_docker) +
           NetnsMismatch(s, pod_label, *in_pod);
  });
  ASSERT_TRUE(scrape);
  EXPECT_EQ(NetnsLeftover(*scrape, in_docker->DefaultLabel()), "");
  EXPECT_EQ(NetnsLeftover(*scrape, in_pod->DefaultLabel()), "");
  EXPECT_EQ(CloseWaitRows("nsp-srv", pod_label), 2);
}

}  // namespace
}  // namespace sockwatch::it
