// Container and Kubernetes pod identities read from cgroup v2 paths, to name
// the network namespaces of containers (the `netns` label).
//
// Pure functions over the path after "0::" in /proc/<pid>/cgroup; no I/O.
// The runtimes name their cgroups like this (64 lowercase hex = container id,
// <uid> = pod uid):
//   docker, systemd driver    /system.slice/docker-<id>.scope
//   docker, cgroupfs driver   /docker/<id>
//   containerd CRI, systemd   /kubepods.slice/kubepods-besteffort.slice/
//                               kubepods-besteffort-pod<uid _>.slice/
//                               cri-containerd-<id>.scope
//   containerd CRI, cgroupfs  /kubepods/besteffort/pod<uid>/<id>
//                             (guaranteed pods have no QoS level)
//   cri-o                     .../crio-<id>.scope
//   podman                    /machine.slice/libpod-<id>.scope[/container]
// The runtimes' monitors (crio-conmon-<id>.scope, libpod-conmon-<id>.scope)
// sit in cgroups of their own that are not the container: they match no
// pattern, since what follows the prefix is not 64 hex digits. In the systemd
// form a pod uid has its dashes turned into underscores (a dash separates
// slice levels); it is given back with dashes. Static pods' uids are 32 hex
// digits (a hash of the manifest) rather than a UUID; both are accepted.
//
// Thread-safe (no state).
#ifndef SOCKWATCH_COLLECTORS_CONTAINER_ID_H_
#define SOCKWATCH_COLLECTORS_CONTAINER_ID_H_

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace sockwatch {

struct ContainerRef {
  std::string pod_uid;       // with dashes; "" when not in a Kubernetes pod
  std::string runtime;       // docker, containerd, crio, podman; "" if none
  std::string container_id;  // 64 hex digits; "" when none
};

// What the path says about its container and pod. When several path
// components name a container (docker in docker), the deepest one wins: it
// is the one the process runs in. Everything empty when nothing matches.
ContainerRef ParseContainerCgroup(std::string_view cgroup_path);

// The label of one cgroup path: "pod:<uid>" when it is in a pod (every
// container of a pod shares the pod's network namespace), else
// "<runtime>:<first 12 hex digits>" (the short id `docker ps` prints), else
// "".
std::string ContainerLabel(std::string_view cgroup_path);

// A process holding a network namespace, and its cgroup v2 path.
struct CgroupHolder {
  pid_t pid = 0;
  std::string_view cgroup_path;
};

// The label of a namespace from all the processes that hold it: the pod uid
// of the lowest-pid holder that is in a pod, else the container of the
// lowest-pid holder that is in a container, else "". Lowest pid so that the
// label does not depend on the order /proc lists processes in, and because a
// container's first process (its init, or the pod's pause process) usually
// has the lowest pid. Holders in no container (a `docker exec`'d shell is in
// its container; `nsenter` from the host is not) do not vote.
std::string NamespaceContainerLabel(const std::vector<CgroupHolder>& holders);

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_CONTAINER_ID_H_
