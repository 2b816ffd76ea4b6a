// CloseWaitTracker: how long each CLOSE_WAIT socket has been stuck.
//
// Sockets are identified across samples by their netlink cookie. A socket
// seen for the first time is dated from tcp_info: the time since the last
// segment it received, which for a socket in CLOSE_WAIT is the peer's FIN
// unless something followed it. Later samples keep that first date, so the
// age grows steadily even if the peer sends keepalive ACKs.
//
// Memory: two sorted vectors of 16-byte entries, one entry per socket
// currently in CLOSE_WAIT; sockets that left CLOSE_WAIT are dropped at the
// end of the sample that no longer sees them. Not thread-safe.
#ifndef SOCKWATCH_DAEMON_CLOSE_WAIT_TRACKER_H_
#define SOCKWATCH_DAEMON_CLOSE_WAIT_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sockwatch {

class CloseWaitTracker {
 public:
  // Starts a sample taken at `now` (Unix seconds).
  void BeginSample(double now);
  // Records a CLOSE_WAIT socket of this sample and returns when it entered
  // CLOSE_WAIT (Unix seconds). `since_last_segment_ms` < 0 when the kernel
  // sent no tcp_info: a new socket is then dated `now`.
  double Observe(uint64_t cookie, int64_t since_last_segment_ms);
  // Whether the last completed sample saw the socket (and so dated it).
  bool Knows(uint64_t cookie) const;
  // Ends the sample: sockets not observed in it are forgotten.
  void EndSample();
  // Sockets known from the last completed sample. A sample that fails
  // between Begin and End leaves this unchanged.
  size_t tracked() const { return known_.size(); }

 private:
  struct Entry {
    uint64_t cookie;
    double entered;
    bool operator<(const Entry& o) const { return cookie < o.cookie; }
  };

  double now_ = 0;
  std::vector<Entry> known_;    // sorted by cookie: the last good sample
  std::vector<Entry> current_;  // this sample, in dump order
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_CLOSE_WAIT_TRACKER_H_
