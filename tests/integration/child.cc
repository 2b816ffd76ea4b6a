#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <thread>

#include "gtest/gtest.h"

namespace sockwatch::it {
namespace {

constexpr size_t kLogTail = 4096;

std::string Tail(const std::string& text) {
  return text.size() <= kLogTail ? text
                                 : "..." + text.substr(text.size() - kLogTail);
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(char* const* argv, const char* cwd, int in_fd,
                            int out_fd, int err_fd, int report_fd,
                            pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  int err = 0;
  if (cwd != nullptr && chdir(cwd) != 0) err = errno;
  if (err == 0 &&
      (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)) {
    err = errno;
  }
  if (err == 0) {
    // Nothing else of the test (sockets of the mix above all) may leak into
    // the child; report_fd is close-on-exec and must stay open until exec.
    for (int fd = 3; fd < report_fd; ++fd) close(fd);
    syscall(SYS_close_range, report_fd + 1, ~0U, 0);
    execvp(argv[0], argv);
    err = errno;
  }
  ssize_t ignored = write(report_fd, &err, sizeof(err));
  (void)ignored;
  _exit(127);
}

}  // namespace

std::string ExitStatus::ToString() const {
  std::string text;
  if (exited) {
    text = "exited with code " + std::to_string(code);
  } else if (signal != 0) {
    text = std::string("killed by signal ") + strsignal(signal);
  } else {
    text = "unknown";
  }
  if (forced) text += " (after SIGKILL: did not stop within the grace period)";
  return text;
}

std::shared_ptr<Child> Child::Spawn(const SpawnOptions& options,
                                    std::string* error) {
  if (options.argv.empty()) {
    *error = "spawn: empty argv";
    return nullptr;
  }
  std::shared_ptr<Child> child(new Child());
  child->argv0_ = options.argv[0];
  if (child->logs_.path().empty()) {
    *error = "spawn: cannot create a log directory";
    return nullptr;
  }
  std::vector<char*> argv;
  for (const std::string& arg : options.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  const std::string in_path =
      options.stdin_path.empty() ? "/dev/null" : options.stdin_path;
  const int in_fd = open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  const int out_fd = open(child->logs_.File("stdout").c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err_fd = open(child->logs_.File("stderr").c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int report[2] = {-1, -1};
  const bool ready =
      in_fd >= 0 && out_fd >= 0 && err_fd >= 0 && pipe2(report, O_CLOEXEC) == 0;
  pid_t pid = -1;
  if (ready) {
    const pid_t parent = getpid();
    pid = fork();
    if (pid == 0) {
      ExecChild(argv.data(),
                options.cwd.empty() ? nullptr : options.cwd.c_str(), in_fd,
                out_fd, err_fd, report[1], parent);
    }
  }
  const int saved = errno;
  for (int fd : {in_fd, out_fd, err_fd, report[1]}) {
    if (fd >= 0) close(fd);
  }
  if (!ready || pid < 0) {
    if (report[0] >= 0) close(report[0]);
    *error = "spawn " + options.argv[0] + ": " + strerror(saved);
    return nullptr;
  }
  child->pid_ = pid;
  int exec_errno = 0;
  ssize_t got;
  do {
    got = read(report[0], &exec_errno, sizeof(exec_errno));
  } while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got > 0) {
    child->Reap(/*block=*/true);
    *error = "exec " + options.argv[0] + ": " + strerror(exec_errno);
    return nullptr;
  }
  return child;
}

Child::~Child() {
  if (pid_ <= 0) return;
  Stop();
  if (report_on_failure_ && ::testing::Test::HasFailure()) {
    std::cerr << "---- " << name() << " " << status_->ToString()
              << "\n---- stdout:\n"
              << Tail(Stdout()) << "\n---- stderr:\n"
              << Tail(Stderr()) << "\n---- end of " << name() << "\n";
  }
}

std::string Child::name() const {
  const size_t slash = argv0_.rfind('/');
  return (slash == std::string::npos ? argv0_ : argv0_.substr(slash + 1)) +
         "[" + std::to_string(pid_) + "]";
}

bool Child::Reap(bool block) {
  if (status_) return true;
  int raw = 0;
  pid_t got;
  do {
    got = waitpid(pid_, &raw, block ? 0 : WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got == 0) return false;
  ExitStatus status;
  if (got == pid_) {
    status.exited = WIFEXITED(raw);
    status.code = status.exited ? WEXITSTATUS(raw) : -1;
    status.signal = WIFSIGNALED(raw) ? WTERMSIG(raw) : 0;
  }
  status_ = status;
  return true;
}

bool Child::Running() { return !Reap(/*block=*/false); }

std::optional<ExitStatus> Child::Wait(milliseconds budget) {
  WaitFor(budget, milliseconds(10), [this] { return !Running(); });
  return status_;
}

ExitStatus Child::Stop(milliseconds grace, int signal) {
  if (Running()) {
    kill(pid_, signal);
    if (!Wait(grace)) {
      kill(pid_, SIGKILL);
      Reap(/*block=*/true);
      status_->forced = true;
    }
  }
  return *status_;
}

std::string Child::Stdout() const { return ReadFile(logs_.File("stdout")); }
std::string Child::Stderr() const { return ReadFile(logs_.File("stderr")); }

CommandResult RunCommand(const std::vector<std::string>& argv,
                         milliseconds budget, const std::string& stdin_path) {
  CommandResult result;
  const auto start = Clock::now();
  std::shared_ptr<Child> child =
      Child::Spawn({argv, stdin_path, ""}, &result.spawn_error);
  if (!child) return result;
  child->set_report_on_failure(false);
  if (!child->Wait(budget)) {
    result.status = child->Stop(milliseconds(0), SIGKILL);
    result.status.forced = true;
  } else {
    result.status = child->Stop();
  }
  result.seconds = SecondsSince(start);
  result.out = child->Stdout();
  result.err = child->Stderr();
  return result;
}

}  // namespace sockwatch::it
