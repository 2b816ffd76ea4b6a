// Deadlines and bounded polling for integration tests.
//
// Every wait in the integration tests goes through WaitFor(): it polls a
// predicate at a fixed period until it holds or the time budget is spent, so
// a loop is bounded both in time and in iterations (budget / period + 1).
// Stateless and thread-compatible.
#ifndef SOCKWATCH_TESTS_INTEGRATION_WAIT_H_
#define SOCKWATCH_TESTS_INTEGRATION_WAIT_H_

#include <chrono>
#include <functional>

namespace sockwatch::it {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A point in time after which work should stop.
class Deadline {
 public:
  explicit Deadline(milliseconds budget) : end_(Clock::now() + budget) {}

  bool Expired() const { return Clock::now() >= end_; }
  // Time left, zero once expired.
  milliseconds Remaining() const;

 private:
  Clock::time_point end_;
};

// Calls `done` until it returns true, sleeping `period` in between, for at
// most `budget`. Returns whether `done` returned true. `done` runs at least
// once, and at most budget / period + 2 times (a zero period does not sleep
// and allows 100 calls per millisecond of budget).
bool WaitFor(milliseconds budget, milliseconds period,
             const std::function<bool()>& done);

// Seconds elapsed since `start`, as a double.
double SecondsSince(Clock::time_point start);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_WAIT_H_
