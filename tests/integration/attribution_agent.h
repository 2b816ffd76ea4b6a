// Agent: a child process with a name of its own that holds TCP sockets for an
// attribution test and performs the socket calls the test asks of it, so
// that each socket is created, half-closed or closed by, and held by, a
// process the daemon must tell apart from the others.
//
// Start() forks without exec. The child sets its comm (PR_SET_NAME, at most
// 15 characters) and its soft RLIMIT_NOFILE, puts /dev/null on stdin and
// stdout, keeps stderr, moves its end of a private control socketpair to fd
// 3 and closes every other descriptor it inherited. Its fd table is then
// exactly 0, 1, 2, 3 plus the sockets the test made it open. It serves one
// request at a time (a text line; the reply is "ok ..." or "error ...") until
// the control socket closes, the test process dies (PR_SET_PDEATHSIG), or
// kMaxLifetime passes. Forking without exec is only safe in a single-threaded
// process: Start() checks /proc/self/task and refuses otherwise.
//
// The child inherits the calling thread's network namespace: start agents
// after entering the test's Netns and destroy them before it. The destructor
// SIGKILLs the child by pid and reaps it. Every call is bounded in time.
// Not copyable; not thread-safe.
#ifndef SOCKWATCH_TESTS_INTEGRATION_ATTRIBUTION_AGENT_H_
#define SOCKWATCH_TESTS_INTEGRATION_ATTRIBUTION_AGENT_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "wait.h"

namespace sockwatch::it {

// One end of a TCP connection as seen inside an agent.
struct AgentSocket {
  int fd = -1;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
};

class Agent {
 public:
  // An agent never outlives this, whatever the test does.
  static constexpr std::chrono::seconds kMaxLifetime{300};

  // Forks the agent `name` with soft RLIMIT_NOFILE `max_fds` (0 keeps the
  // inherited limit). nullptr and *error on failure.
  static std::unique_ptr<Agent> Start(const std::string& name, int max_fds,
                                      std::string* error);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

  // The calls below run inside the agent; each returns "" or a message.

  // A listener on 127.0.0.1:`port` (backlog 128).
  std::string Listen(uint16_t port, int* fd = nullptr);
  // Connects to 127.0.0.1:`port` and waits for the handshake.
  std::string Connect(uint16_t port, AgentSocket* out);
  // Accepts one connection from the agent's listener on `port`.
  std::string Accept(uint16_t port, AgentSocket* out);
  // Writes `bytes` bytes on `fd`.
  std::string Write(int fd, size_t bytes);
  // shutdown(fd, SHUT_WR): sends a FIN and keeps the descriptor.
  std::string ShutdownWrite(int fd);
  // close(fd).
  std::string Close(int fd);
  // Waits until the peer's FIN arrived on `fd`, reading nothing.
  std::string WaitHalfClosed(int fd);
  // Reads until EOF on `fd` (the data must have been consumed already).
  std::string WaitEof(int fd);

  // SIGKILL and reap (idempotent). The kernel closes the agent's sockets.
  void Kill();

 private:
  Agent() = default;
  std::string Call(const std::string& request, std::string* reply);

  pid_t pid_ = -1;
  std::string name_;
  int control_ = -1;
};

// A CLOSE_WAIT socket made by two agents, and when it became one.
struct Leak {
  AgentSocket holder;  // the end in CLOSE_WAIT, never closed
  AgentSocket closer;  // the end that sent the FIN (fd -1 after close())
  size_t bytes = 0;    // unread data left in the holder's receive queue
  bool closer_closed = false;  // close() rather than shutdown(SHUT_WR)
  std::chrono::system_clock::time_point fin_seen;
};

// The common leak: `client` connects to `server`'s listener on `port`,
// writes `bytes`, then shutdown(SHUT_WR)s or close()s; `server` accepted it
// and never reads nor closes. "" or a message.
std::string MakeInboundLeak(Agent* server, Agent* client, uint16_t port,
                            size_t bytes, bool client_closes, Leak* out);

// The client-side leak (a pool that never notices the server hung up):
// `holder` connects to `server`'s listener on `port`; the server writes
// `bytes`, then shutdown(SHUT_WR)s or close()s. "" or a message.
std::string MakeOutboundLeak(Agent* holder, Agent* server, uint16_t port,
                             size_t bytes, bool server_closes, Leak* out);

// A connection `client` -> `server`:`port` left ESTABLISHED on both ends.
std::string MakeEstablished(Agent* server, Agent* client, uint16_t port,
                            AgentSocket* server_end, AgentSocket* client_end);

// A connection closed properly: `client` half-closes, `server` reads EOF and
// closes, the client closes too. Leaves one TIME_WAIT (held by no process)
// on the client's side.
std::string MakeProperlyClosed(Agent* server, Agent* client, uint16_t port);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_ATTRIBUTION_AGENT_H_
