#include "collectors/netns_registry.h"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "collectors/netns_socket.h"

namespace sockwatch {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(NetnsError::kCount)>
    kErrorNames = {"vanished", "permission", "other"};

NetnsError Classify(int err) {
  switch (err) {
    case ENOENT:
    case ESRCH:
      return NetnsError::kVanished;
    case EPERM:
    case EACCES:
      return NetnsError::kPermission;
    default:
      return NetnsError::kOther;
  }
}

}  // namespace

std::string_view NetnsErrorName(NetnsError e) {
  return kErrorNames[static_cast<size_t>(e)];
}

std::unique_ptr<NetlinkTransport> RealNetnsOpener::Open(const std::string& path,
                                                        int* error) {
  Status status;
  auto transport = MnlTransport::Open(
      &status, [path](int* err) { return OpenSockDiagSocketIn(path, err); });
  if (!transport) *error = status.err() != 0 ? status.err() : EIO;
  return transport;
}

void NetnsRegistry::Update(const std::vector<NetnsCandidate>& found,
                           NetnsErrors* errors) {
  std::vector<Entry> next;
  next.reserve(found.size());
  for (const NetnsCandidate& c : found) {
    auto old = std::lower_bound(
        entries_.begin(), entries_.end(), c.inode,
        [](const Entry& e, uint64_t inode) { return e.inode < inode; });
    if (old != entries_.end() && old->inode == c.inode &&
        (old->transport || Classify(old->error) != NetnsError::kVanished)) {
      if (!c.label.empty()) old->label = c.label;
      next.push_back(std::move(*old));
      continue;
    }
    Entry e;
    e.inode = c.inode;
    e.label = c.label;
    e.error = ENOENT;
    // Bounded by the candidate's paths; a vanished path tries the next.
    for (const std::string& path : c.paths) {
      e.error = 0;
      e.transport = opener_->Open(path, &e.error);
      if (e.transport || Classify(e.error) != NetnsError::kVanished) break;
    }
    if (!e.transport) ++errors->counts[static_cast<size_t>(Classify(e.error))];
    next.push_back(std::move(e));
  }
  std::sort(next.begin(), next.end(),
            [](const Entry& a, const Entry& b) { return a.inode < b.inode; });
  // Entries not moved into `next` close their transports here.
  entries_ = std::move(next);
}

void NetnsRegistry::Drop(uint64_t inode) {
  for (Entry& e : entries_) {
    if (e.inode == inode) {
      e.transport.reset();
      e.error = ENOENT;
    }
  }
}

bool NetnsRegistry::Known(uint64_t inode) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [inode](const Entry& e) { return e.inode == inode; });
}

size_t NetnsRegistry::Unreadable() const {
  return static_cast<size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) {
        return !e.transport && Classify(e.error) == NetnsError::kPermission;
      }));
}

}  // namespace sockwatch
