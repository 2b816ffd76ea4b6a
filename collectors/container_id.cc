#include "collectors/container_id.h"

#include <algorithm>
#include <array>

namespace sockwatch {
namespace {

constexpr size_t kIdLength = 64;
constexpr size_t kShortIdLength = 12;

struct ScopePrefix {
  std::string_view prefix;
  std::string_view runtime;
};

// The systemd-driver scopes: "<prefix><64 hex>.scope".
constexpr std::array<ScopePrefix, 4> kScopes = {{
    {"docker-", "docker"},
    {"cri-containerd-", "containerd"},
    {"crio-", "crio"},
    {"libpod-", "podman"},
}};

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool AllLowerHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsLowerHex);
}

bool IsContainerId(std::string_view s) {
  return s.size() == kIdLength && AllLowerHex(s);
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

// A pod uid with `sep` between its groups: a UUID (8-4-4-4-12 hex digits),
// or the 32 hex digits of a static pod's manifest hash. Returned with
// dashes, "" when `s` is neither.
std::string PodUid(std::string_view s, char sep) {
  if (s.size() == 32) return AllLowerHex(s) ? std::string(s) : "";
  if (s.size() != 36) return "";
  std::string uid(s);
  for (size_t i = 0; i < uid.size(); ++i) {
    const bool separator = i == 8 || i == 13 || i == 18 || i == 23;
    if (separator) {
      if (uid[i] != sep) return "";
      uid[i] = '-';
    } else if (!IsLowerHex(uid[i])) {
      return "";
    }
  }
  return uid;
}

// The uid of a pod cgroup component, "" when it is not one. Systemd form
// "kubepods[-<qos>]-pod<uid with _>.slice" (also with a kubelet cgroup root
// prefix, "kubelet-kubepods-..."); cgroupfs form "pod<uid>" below a
// kubepods component.
std::string PodOf(std::string_view component, bool under_kubepods) {
  if (EndsWith(component, ".slice")) {
    const size_t pod = component.rfind("-pod");
    if (pod == std::string_view::npos ||
        component.find("kubepods") == std::string_view::npos) {
      return "";
    }
    const size_t begin = pod + 4;
    const size_t end = component.size() - 6;  // ".slice"
    if (end <= begin) return "";
    return PodUid(component.substr(begin, end - begin), '_');
  }
  if (under_kubepods && StartsWith(component, "pod")) {
    return PodUid(component.substr(3), '-');
  }
  return "";
}

}  // namespace

ContainerRef ParseContainerCgroup(std::string_view path) {
  ContainerRef ref;
  bool under_kubepods = false;
  std::string_view parent;
  size_t begin = 0;
  // One pass over the components; each is at least one character.
  while (begin < path.size()) {
    size_t end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view component = path.substr(begin, end - begin);
    begin = end + 1;
    if (component.empty()) continue;

    if (ref.pod_uid.empty()) ref.pod_uid = PodOf(component, under_kubepods);
    if (component.find("kubepods") != std::string_view::npos) {
      under_kubepods = true;
    }
    if (EndsWith(component, ".scope")) {
      for (const ScopePrefix& scope : kScopes) {
        if (!StartsWith(component, scope.prefix)) continue;
        const std::string_view id = component.substr(
            scope.prefix.size(),
            component.size() - scope.prefix.size() - 6);  // ".scope"
        if (IsContainerId(id)) {
          ref.runtime = scope.runtime;
          ref.container_id = id;
        }
        break;
      }
    } else if (IsContainerId(component)) {
      // cgroupfs drivers name the cgroup by the bare id; only its place in
      // the tree says whose it is. Elsewhere a 64-hex name is not trusted.
      if (parent == "docker") {
        ref.runtime = "docker";
        ref.container_id = component;
      } else if (under_kubepods) {
        ref.runtime = "containerd";
        ref.container_id = component;
      }
    }
    parent = component;
  }
  return ref;
}

std::string ContainerLabel(std::string_view cgroup_path) {
  const ContainerRef ref = ParseContainerCgroup(cgroup_path);
  if (!ref.pod_uid.empty()) return "pod:" + ref.pod_uid;
  if (!ref.container_id.empty()) {
    return ref.runtime + ":" + ref.container_id.substr(0, kShortIdLength);
  }
  return "";
}

std::string NamespaceContainerLabel(const std::vector<CgroupHolder>& holders) {
  std::vector<const CgroupHolder*> by_pid;
  by_pid.reserve(holders.size());
  for (const CgroupHolder& holder : holders) by_pid.push_back(&holder);
  std::sort(by_pid.begin(), by_pid.end(),
            [](const CgroupHolder* a, const CgroupHolder* b) {
              return a->pid < b->pid;
            });
  std::string container;
  for (const CgroupHolder* holder : by_pid) {
    const ContainerRef ref = ParseContainerCgroup(holder->cgroup_path);
    if (!ref.pod_uid.empty()) return "pod:" + ref.pod_uid;
    if (container.empty() && !ref.container_id.empty()) {
      container =
          ref.runtime + ":" + ref.container_id.substr(0, kShortIdLength);
    }
  }
  return container;
}

}  // namespace sockwatch
