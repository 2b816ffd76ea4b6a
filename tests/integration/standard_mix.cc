#include "standard_mix.h"

#include <functional>
#include <vector>

namespace sockwatch::it {

std::string BuildStandardMix(SocketMix* mix) {
  const Family v4 = Family::kV4;
  const Family v6 = Family::kV6;
  ListenOptions dual;
  dual.dual_stack = true;
  dual.rcvbuf = 4096;
  ListenOptions backlog0;
  backlog0.backlog = 0;
  ListenOptions defer;
  defer.defer_accept_seconds = 300;
  const std::vector<std::function<std::string()>> steps = {
      [&] { return mix->Listen(v4, kPortV4Main); },
      [&] { return mix->Listen(v6, kPortV6Main); },
      [&] { return mix->Listen(v4, kPortTimeWait); },
      [&] { return mix->Listen(v6, kPortWindow, dual); },
      [&] { return mix->Listen(v4, kPortSynSent, backlog0); },
      [&] { return mix->Listen(v4, kPortSynRecv, defer); },
      [&] { return mix->Listen(v6, kPortIdle); },
      // in/7001: 1 listen + 5 established + 3 close_wait = 9
      // out/7001: 5 established + 3 fin_wait2 = 8
      [&] { return mix->Established(kPortV4Main, v4, 5); },
      [&] {
        return mix->CloseWait(kPortV4Main, v4, kCloseWaitBytesV4[0], false);
      },
      [&] {
        return mix->CloseWait(kPortV4Main, v4, kCloseWaitBytesV4[1], false);
      },
      [&] {
        return mix->CloseWait(kPortV4Main, v4, kCloseWaitBytesV4[2], true);
      },
      // in/7002: 1 listen + 2 established + 3 close_wait + 1 time_wait = 7
      // out/7002: 2 established + 3 fin_wait2 = 5
      [&] { return mix->Established(kPortV6Main, v6, 2); },
      [&] {
        return mix->CloseWait(kPortV6Main, v6, kCloseWaitBytesV6[0], false);
      },
      [&] {
        return mix->CloseWait(kPortV6Main, v6, kCloseWaitBytesV6[1], true);
      },
      [&] {
        return mix->CloseWait(kPortV6Main, v6, kCloseWaitBytesV6[2], false);
      },
      [&] { return mix->TimeWait(kPortV6Main, v6); },
      // in/7003: 1 listen + 3 time_wait
      [&] { return mix->TimeWait(kPortTimeWait, v4); },
      [&] { return mix->TimeWait(kPortTimeWait, v4); },
      [&] { return mix->TimeWait(kPortTimeWait, v4); },
      // 7004, IPv4 clients on a dual-stack listener are IPv4-mapped there.
      [&] { return mix->FinWait1(kPortWindow, v6); },
      [&] { return mix->Closing(kPortWindow, v4); },
      [&] { return mix->LastAck(kPortWindow, v6); },
      [&] { return mix->Established(kPortWindow, v4, 1); },
      [&] { return mix->SynSent(kPortSynSent, v4, 2); },
      [&] { return mix->SynRecv(kPortSynRecv, v4, 2); },
      [&] { return mix->BoundInactive(v4, kPortBoundV4); },
      [&] { return mix->BoundInactive(v6, kPortBoundV6); },
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string error = steps[i]();
    if (!error.empty()) {
      return "standard mix step " + std::to_string(i) + ": " + error;
    }
  }
  return "";
}

}  // namespace sockwatch::it
