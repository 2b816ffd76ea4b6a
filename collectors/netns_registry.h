// NetnsRegistry: the network namespaces a sample covers besides the
// daemon's own, each with an open sock_diag transport inside it.
//
// Every sample, discovery (the /proc scan, plus the names under /run/netns)
// hands Update() the namespaces that exist now. Update() opens a transport
// in each new one, keeps the ones it already has (a transport is cached by
// namespace inode), and closes those no longer found: an open netlink socket
// keeps its namespace alive, so holding on to it would leak the namespace.
// A namespace that cannot be entered is remembered as such (not retried
// every sample) and counted once, by reason: `vanished` (its process or name
// went away before we got in), `permission` (no CAP_SYS_ADMIN) or `other`.
//
// NetnsOpener is the kernel seam; tests use a fake. Not thread-safe (the
// sampler owns it).
#ifndef SOCKWATCH_COLLECTORS_NETNS_REGISTRY_H_
#define SOCKWATCH_COLLECTORS_NETNS_REGISTRY_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/netlink_transport.h"

namespace sockwatch {

class NetnsOpener {
 public:
  virtual ~NetnsOpener() = default;
  // A sock_diag transport inside the namespace at `path`; nullptr and
  // *error (an errno) on failure.
  virtual std::unique_ptr<NetlinkTransport> Open(const std::string& path,
                                                 int* error) = 0;
};

// OpenSockDiagSocketIn() under an MnlTransport (which reopens in the same
// namespace after a failure).
class RealNetnsOpener final : public NetnsOpener {
 public:
  std::unique_ptr<NetlinkTransport> Open(const std::string& path,
                                         int* error) override;
};

// A namespace found this sample.
struct NetnsCandidate {
  uint64_t inode = 0;
  std::string label;  // its `netns` label; "" keeps a known one's label
  std::vector<std::string> paths;  // to enter it by, tried in order
};

enum class NetnsError { kVanished, kPermission, kOther, kCount };
std::string_view NetnsErrorName(NetnsError e);

struct NetnsErrors {
  std::array<uint64_t, static_cast<size_t>(NetnsError::kCount)> counts{};
  uint64_t Of(NetnsError e) const { return counts[static_cast<size_t>(e)]; }
};

class NetnsRegistry {
 public:
  struct Entry {
    uint64_t inode = 0;
    std::string label;
    std::unique_ptr<NetlinkTransport> transport;  // null: could not enter
    int error = 0;                                // why, when null
  };

  explicit NetnsRegistry(NetnsOpener* opener) : opener_(opener) {}

  // Makes the registry hold exactly `found` (by inode): opens the new ones,
  // closes the gone ones, refreshes labels given. Adds this call's failures to
  // *errors.
  void Update(const std::vector<NetnsCandidate>& found, NetnsErrors* errors);
  // Closes one namespace's transport after a failed dump; the next Update()
  // that still finds it opens it again.
  void Drop(uint64_t inode);
  // Closes everything (namespaces: host again).
  void Clear() { entries_.clear(); }

  // By inode. Entries without a transport are namespaces not entered.
  std::vector<Entry>& entries() { return entries_; }
  bool Known(uint64_t inode) const;
  // Namespaces found but not entered for lack of permission.
  size_t Unreadable() const;

 private:
  NetnsOpener* opener_;
  std::vector<Entry> entries_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_NETNS_REGISTRY_H_
