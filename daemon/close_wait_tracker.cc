#include "daemon/close_wait_tracker.h"

#include <algorithm>

namespace sockwatch {

void CloseWaitTracker::BeginSample(double now) {
  now_ = now;
  current_.clear();
}

double CloseWaitTracker::Observe(uint64_t cookie,
                                 int64_t since_last_segment_ms) {
  Entry probe{cookie, 0};
  auto it = std::lower_bound(known_.begin(), known_.end(), probe);
  double entered;
  if (it != known_.end() && it->cookie == cookie) {
    entered = it->entered;
  } else if (since_last_segment_ms >= 0) {
    entered = now_ - since_last_segment_ms / 1000.0;
  } else {
    entered = now_;
  }
  current_.push_back({cookie, entered});
  return entered;
}

bool CloseWaitTracker::Knows(uint64_t cookie) const {
  return std::binary_search(known_.begin(), known_.end(), Entry{cookie, 0});
}

void CloseWaitTracker::EndSample() {
  std::sort(current_.begin(), current_.end());
  known_.swap(current_);
  current_.clear();
  // Give memory back after a burst of CLOSE_WAIT has cleared.
  if (current_.capacity() > 4 * known_.size() + 1024) current_.shrink_to_fit();
}

}  // namespace sockwatch
