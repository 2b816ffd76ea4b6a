// SideNetns: a named network namespace that the test thread does NOT enter,
// for tests where sockwatch (or the code under test) stays in the test's own
// namespace and must reach others by itself.
//
// Create() makes `sockwatch-it-<pid>-s<counter>` with `ip netns add` and
// brings its loopback up. Work happens inside it in two ways:
//   RunInside()    a short-lived thread enters it and runs a function; any
//                  socket made there stays in the namespace (and stays open
//                  in the test process after the thread ends).
//   NetnsEntry     moves the calling thread in until destroyed: for forking
//                  processes (Agent, which refuses to fork from a
//                  multi-threaded process) that must live in the namespace.
// Unname() removes the name (`ip netns del`): the namespace lives on as long
// as a process or descriptor holds it, as a container's does. The
// destructor deletes the name if it is still there; it stops no process
// (their owners do, by pid). Names left by a killed test process are
// removed by the next Netns::Create() (netns.h), whose prefix this shares.
//
// Not copyable; not thread-safe.
#ifndef SOCKWATCH_TESTS_INTEGRATION_SIDE_NETNS_H_
#define SOCKWATCH_TESTS_INTEGRATION_SIDE_NETNS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace sockwatch::it {

class SideNetns {
 public:
  // nullptr and *error on failure (nothing is left behind).
  static std::unique_ptr<SideNetns> Create(std::string* error);
  ~SideNetns();
  SideNetns(const SideNetns&) = delete;
  SideNetns& operator=(const SideNetns&) = delete;

  const std::string& name() const { return name_; }
  // /run/netns/<name> ("" once unnamed).
  std::string path() const;
  // The namespace's inode (st_ino of its nsfs file), fixed at creation.
  uint64_t inode() const { return inode_; }

  // Runs `fn` on a new thread inside the namespace and joins it. "" or why
  // the thread could not enter.
  std::string RunInside(const std::function<void()>& fn) const;

  // `ip netns del`: "" or a message.
  std::string Unname();

 private:
  SideNetns() = default;

  std::string name_;
  bool named_ = false;
  uint64_t inode_ = 0;
};

// Moves the calling thread into the namespace at `path` (a /run/netns name or
// /proc/<pid>/ns/net) and back to where it was when destroyed. Check error()
// after construction: on failure the thread has not moved.
class NetnsEntry {
 public:
  explicit NetnsEntry(const std::string& path);
  ~NetnsEntry();
  NetnsEntry(const NetnsEntry&) = delete;
  NetnsEntry& operator=(const NetnsEntry&) = delete;

  const std::string& error() const { return error_; }

 private:
  int original_fd_ = -1;
  bool entered_ = false;
  std::string error_;
};

// st_ino of the namespace file at `path`; 0 when it cannot be read.
uint64_t NetnsInodeOf(const std::string& path);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_SIDE_NETNS_H_
