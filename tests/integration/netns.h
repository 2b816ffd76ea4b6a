// Netns: a private network namespace for one test, entered by the calling
// thread, with `lo` up.
//
// Create() makes `sockwatch-it-<pid>-<counter>` with `ip netns add`, brings
// its loopback up and moves the calling thread into it (setns): sockets the
// test opens afterwards, and every process it spawns, live there. The
// destructor stops the children started through Spawn() (by pid), moves the
// thread back to its original namespace and deletes the namespace, also when
// the test failed. Namespaces left by a test process that was killed are
// removed by the next Create() (their pid no longer runs).
//
// Must be created and destroyed on the same thread; threads started in
// between inherit the namespace. Not copyable.
#ifndef SOCKWATCH_TESTS_INTEGRATION_NETNS_H_
#define SOCKWATCH_TESTS_INTEGRATION_NETNS_H_

#include <memory>
#include <string>
#include <vector>

#include "child.h"

namespace sockwatch::it {

// Why root-only tests cannot run here ("" when they can): not root, or no
// `ip` on PATH.
std::string RootSkipReason();

// Skips the current test (from the test body or SetUp) unless it can create
// network namespaces.
#define SOCKWATCH_SKIP_UNLESS_ROOT()                                      \
  do {                                                                    \
    const std::string sockwatch_skip_reason =                             \
        ::sockwatch::it::RootSkipReason();                                \
    if (!sockwatch_skip_reason.empty()) {                                 \
      GTEST_SKIP() << "needs root: creates network namespaces (ip netns " \
                      "add): "                                            \
                   << sockwatch_skip_reason;                              \
    }                                                                     \
  } while (0)

class Netns {
 public:
  // Creates and enters a fresh namespace. On failure returns nullptr, sets
  // *error and leaves the thread where it was.
  static std::unique_ptr<Netns> Create(std::string* error);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }

  // Spawns a child inside the namespace; the Netns keeps a reference and
  // stops it (if still running) when destroyed. nullptr and *error on
  // failure.
  std::shared_ptr<Child> Spawn(const SpawnOptions& options, std::string* error);

 private:
  Netns() = default;

  std::string name_;
  int original_fd_ = -1;
  int thread_id_ = 0;
  std::vector<std::shared_ptr<Child>> children_;
};

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_NETNS_H_
