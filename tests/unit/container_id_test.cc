#include "collectors/container_id.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sockwatch {
namespace {

// Real-shaped ids: 64 lowercase hex digits.
const std::string kId =
    "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d";
const std::string kId2 =
    "34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376";
const std::string kUid = "74c13223-5a00-11e9-b385-42010a80018d";
const std::string kUidUnderscores = "74c13223_5a00_11e9_b385_42010a80018d";

TEST(ContainerIdTest, DockerSystemdDriver) {
  const std::string path = "/system.slice/docker-" + kId + ".scope";
  const ContainerRef ref = ParseContainerCgroup(path);
  EXPECT_EQ(ref.runtime, "docker");
  EXPECT_EQ(ref.container_id, kId);
  EXPECT_EQ(ref.pod_uid, "");
  EXPECT_EQ(ContainerLabel(path), "docker:9ec39b91f3d7");
}

TEST(ContainerIdTest, DockerCgroupfsDriver) {
  EXPECT_EQ(ContainerLabel("/docker/" + kId), "docker:9ec39b91f3d7");
  // Docker in docker: the process runs in the inner container.
  EXPECT_EQ(ContainerLabel("/docker/" + kId + "/docker/" + kId2),
            "docker:34dc0b5e626f");
}

TEST(ContainerIdTest, SystemdInsideTheContainerKeepsItsId) {
  EXPECT_EQ(ContainerLabel("/system.slice/docker-" + kId + ".scope/init.scope"),
            "docker:9ec39b91f3d7");
  EXPECT_EQ(ContainerLabel("/machine.slice/libpod-" + kId +
                           ".scope/container/system.slice/nginx.service"),
            "podman:9ec39b91f3d7");
}

TEST(ContainerIdTest, ContainerdSystemdDriverInAPod) {
  const std::string path =
      "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
      kUidUnderscores + ".slice/cri-containerd-" + kId + ".scope";
  const ContainerRef ref = ParseContainerCgroup(path);
  EXPECT_EQ(ref.pod_uid, kUid);
  EXPECT_EQ(ref.runtime, "containerd");
  EXPECT_EQ(ref.container_id, kId);
  EXPECT_EQ(ContainerLabel(path), "pod:" + kUid);
}

TEST(ContainerIdTest, GuaranteedPodHasNoQosLevel) {
  EXPECT_EQ(ContainerLabel("/kubepods.slice/kubepods-pod" + kUidUnderscores +
                           ".slice/cri-containerd-" + kId + ".scope"),
            "pod:" + kUid);
  EXPECT_EQ(ContainerLabel("/kubepods/pod" + kUid + "/" + kId), "pod:" + kUid);
}

TEST(ContainerIdTest, ContainerdCgroupfsDriver) {
  const std::string path = "/kubepods/besteffort/pod" + kUid + "/" + kId;
  const ContainerRef ref = ParseContainerCgroup(path);
  EXPECT_EQ(ref.pod_uid, kUid);
  EXPECT_EQ(ref.runtime, "containerd");
  EXPECT_EQ(ref.container_id, kId);
  EXPECT_EQ(ContainerLabel(path), "pod:" + kUid);
  // The pod's own cgroup (no container below it) still names the pod.
  EXPECT_EQ(ContainerLabel("/kubepods/burstable/pod" + kUid), "pod:" + kUid);
}

TEST(ContainerIdTest, KubeletCgroupRootPrefix) {
  EXPECT_EQ(ContainerLabel("/kubelet.slice/kubelet-kubepods.slice/"
                           "kubelet-kubepods-burstable.slice/"
                           "kubelet-kubepods-burstable-pod" +
                           kUidUnderscores + ".slice/cri-containerd-" + kId +
                           ".scope"),
            "pod:" + kUid);
}

TEST(ContainerIdTest, StaticPodUidIsAHash) {
  const std::string hash = "0e2ef1a5b5e6c8d0b6a3b0bbd4b3b6a7";
  EXPECT_EQ(ContainerLabel("/kubepods.slice/kubepods-burstable.slice/"
                           "kubepods-burstable-pod" +
                           hash + ".slice/crio-" + kId + ".scope"),
            "pod:" + hash);
}

TEST(ContainerIdTest, CrioOutsideAPod) {
  EXPECT_EQ(ContainerLabel("/machine.slice/crio-" + kId + ".scope"),
            "crio:9ec39b91f3d7");
}

TEST(ContainerIdTest, Podman) {
  EXPECT_EQ(ContainerLabel("/machine.slice/libpod-" + kId + ".scope"),
            "podman:9ec39b91f3d7");
  EXPECT_EQ(ContainerLabel("/machine.slice/libpod-" + kId + ".scope/container"),
            "podman:9ec39b91f3d7");
  // Rootless podman under the user's systemd.
  EXPECT_EQ(ContainerLabel("/user.slice/user-1000.slice/user@1000.service/"
                           "user.slice/libpod-" +
                           kId + ".scope"),
            "podman:9ec39b91f3d7");
}

TEST(ContainerIdTest, MonitorsAreNotContainers) {
  EXPECT_EQ(ContainerLabel("/machine.slice/libpod-conmon-" + kId + ".scope"),
            "");
  EXPECT_EQ(ContainerLabel("/system.slice/crio-conmon-" + kId + ".scope"), "");
  // conmon's cgroup in a pod names the pod; harmless, since conmon runs in
  // the host's namespace, which is labelled "host" before any cgroup counts.
  EXPECT_EQ(ContainerLabel("/kubepods.slice/kubepods-pod" + kUidUnderscores +
                           ".slice/crio-conmon-" + kId + ".scope"),
            "pod:" + kUid);
}

TEST(ContainerIdTest, HostProcessesAreNotContainers) {
  for (const std::string path :
       {"/", "", "/init.scope", "/system.slice/docker.service",
        "/system.slice/containerd.service", "/system.slice/nginx.service",
        "/user.slice/user-1000.slice/session-4.scope",
        "/user.slice/user-1000.slice/user@1000.service/app.slice/"
        "app-gnome-firefox-1234.scope",
        "/machine.slice/machine-qemu\\x2d1\\x2dvm.scope", "/kubepods.slice",
        "/kubepods.slice/kubepods-besteffort.slice", "/kubepods/besteffort"}) {
    EXPECT_EQ(ContainerLabel(path), "") << path;
  }
}

TEST(ContainerIdTest, MalformedIdsAreRejected) {
  const std::string short_id = kId.substr(0, 12);
  const std::string upper =
      "9EC39B91F3D70E1BEFF50A308F77067065EA6BE0D91A3378375056CD4422CF3D";
  for (const std::string& path : std::vector<std::string>{
           "/system.slice/docker-" + short_id + ".scope",
           "/system.slice/docker-" + kId + "0.scope",
           "/system.slice/docker-" + upper + ".scope",
           "/system.slice/docker-" + kId.substr(0, 63) + "g.scope",
           "/system.slice/docker-" + kId + ".service",
           "/system.slice/docker-" + kId,
           "/docker/" + short_id,
           "/docker-" + kId + ".scope.d",
           "/scope",
           "/docker-.scope",
           "////",
           "/\x01\xff/" + kId + "x",
       }) {
    EXPECT_EQ(ContainerLabel(path), "") << path;
  }
}

TEST(ContainerIdTest, BareIdOnlyWhereARuntimePutsIt) {
  // A 64-hex name outside /docker and kubepods could be anything.
  EXPECT_EQ(ContainerLabel("/" + kId), "");
  EXPECT_EQ(ContainerLabel("/system.slice/" + kId), "");
}

TEST(ContainerIdTest, MalformedPodUidsAreRejected) {
  for (const std::string& path : std::vector<std::string>{
           "/kubepods.slice/kubepods-pod" + kUid + ".slice",  // dashes
           "/kubepods.slice/kubepods-pod74c13223_5a00.slice",
           "/kubepods.slice/kubepods-pod.slice",
           "/kubepods/besteffort/pod" + kUidUnderscores,
           "/kubepods/besteffort/podXYZ",
           "/system.slice/pod" + kUid,  // not below kubepods
           "/system.slice/something-pod" + kUidUnderscores + ".slice",
       }) {
    EXPECT_EQ(ContainerLabel(path), "") << path;
  }
}

TEST(ContainerIdTest, NamespaceLabelPrefersThePod) {
  const std::string docker = "/system.slice/docker-" + kId + ".scope";
  const std::string pod = "/kubepods/besteffort/pod" + kUid + "/" + kId2;
  EXPECT_EQ(NamespaceContainerLabel({{10, docker}, {20, pod}}), "pod:" + kUid);
  EXPECT_EQ(NamespaceContainerLabel({{20, pod}, {10, docker}}), "pod:" + kUid);
}

TEST(ContainerIdTest, NamespaceLabelTakesTheLowestPidContainer) {
  const std::string a = "/system.slice/docker-" + kId + ".scope";
  const std::string b = "/machine.slice/libpod-" + kId2 + ".scope";
  EXPECT_EQ(NamespaceContainerLabel({{300, b}, {200, a}, {100, "/init.scope"}}),
            "docker:9ec39b91f3d7");
  EXPECT_EQ(NamespaceContainerLabel({{100, b}, {200, a}}),
            "podman:34dc0b5e626f");
}

TEST(ContainerIdTest, NamespaceLabelOfTwoPodsIsTheLowestPids) {
  const std::string other = "ffffffff-0000-1111-2222-333333333333";
  EXPECT_EQ(
      NamespaceContainerLabel({{50, "/kubepods/pod" + other + "/" + kId},
                               {40, "/kubepods/pod" + kUid + "/" + kId2}}),
      "pod:" + kUid);
}

TEST(ContainerIdTest, NamespaceLabelEmptyWithoutContainers) {
  EXPECT_EQ(NamespaceContainerLabel({}), "");
  EXPECT_EQ(NamespaceContainerLabel(
                {{1, "/init.scope"},
                 {4321, "/user.slice/user-0.slice/session-1.scope"}}),
            "");
}

}  // namespace
}  // namespace sockwatch
