#include "wait.h"

#include <thread>

namespace sockwatch::it {

milliseconds Deadline::Remaining() const {
  auto left = std::chrono::duration_cast<milliseconds>(end_ - Clock::now());
  return left.count() > 0 ? left : milliseconds(0);
}

bool WaitFor(milliseconds budget, milliseconds period,
             const std::function<bool()>& done) {
  const Deadline deadline(budget);
  const long max_rounds =
      period.count() > 0 ? budget / period + 2 : budget.count() * 100 + 2;
  for (long round = 0; round < max_rounds; ++round) {
    if (done()) return true;
    if (deadline.Expired()) return false;
    if (period.count() > 0) {
      std::this_thread::sleep_for(std::min(period, deadline.Remaining()));
    }
  }
  return false;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace sockwatch::it
