#include "alerting_harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>

#include "loopback.h"

namespace sockwatch::it {
namespace {

constexpr char kHost[] = "127.0.0.1";
constexpr milliseconds kHttpTimeout(5000);

// Runs in the forked holder: only async-signal-safe calls. Accepts for at
// most 600 one-second rounds and never closes what it accepted.
[[noreturn]] void HoldForever(int listener, const char* name, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  prctl(PR_SET_NAME, name);
  // Hold nothing of the test but the listener.
  if (listener > 3) syscall(SYS_close_range, 3, listener - 1, 0);
  syscall(SYS_close_range, listener + 1, ~0U, 0);
  for (int round = 0; round < 600; ++round) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) continue;
    for (int i = 0; i < 64; ++i) {
      if (accept4(listener, nullptr, nullptr, SOCK_NONBLOCK) < 0) break;
    }
  }
  _exit(0);
}

// `"k":"v"` pairs of a flat JSON object body (no nesting).
Labels FlatObject(const std::string& body) {
  static const std::regex pair(
      R"re("((?:[^"\\]|\\.)*)":"((?:[^"\\]|\\.)*)")re");
  Labels out;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), pair);
       it != std::sregex_iterator(); ++it) {
    out[(*it)[1]] = (*it)[2];
  }
  return out;
}

}  // namespace

std::unique_ptr<CloseWaitHolder> CloseWaitHolder::Start(const std::string& name,
                                                        std::string* error) {
  const int listener = BoundSocket(kHost, 0, true, 0, error);
  if (listener < 0) return nullptr;
  std::unique_ptr<CloseWaitHolder> holder(new CloseWaitHolder());
  holder->port_ = LocalPort(listener);
  if (holder->port_ == 0 || listen(listener, 128) != 0) {
    *error = std::string("listen: ") + strerror(errno);
    close(listener);
    return nullptr;
  }
  const std::string short_name = name.substr(0, 15);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) HoldForever(listener, short_name.c_str(), parent);
  const int saved = errno;
  close(listener);  // the holder has its own copy
  if (pid < 0) {
    *error = std::string("fork: ") + strerror(saved);
    return nullptr;
  }
  holder->pid_ = pid;
  return holder;
}

CloseWaitHolder::~CloseWaitHolder() { Kill(); }

void CloseWaitHolder::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  for (int i = 0; i < 100 && waitpid(pid_, &status, 0) < 0 && errno == EINTR;
       ++i) {
  }
  pid_ = -1;
}

std::string CloseWaitHolder::Leak() {
  if (pid_ <= 0) return "the holder was killed";
  std::string error;
  const int fd = ConnectTo(kHost, port_, true, 0, milliseconds(2000), &error);
  if (fd < 0) return error;
  close(fd);  // FIN: the holder's end goes to CLOSE_WAIT
  ++leaked_;
  return "";
}

std::string CloseWaitHolder::LeakOnSchedule(double per_second) {
  if (schedule_start_ == Clock::time_point{}) schedule_start_ = Clock::now();
  const int due = static_cast<int>(SecondsSince(schedule_start_) * per_second);
  for (int i = 0; i < 5 && leaked_ < due; ++i) {
    std::string error = Leak();
    if (!error.empty()) return error;
  }
  return "";
}

std::string Alertmanager::url() const {
  return std::string("http://") + kHost + ":" + std::to_string(port_);
}

std::string Alertmanager::Start(milliseconds budget) {
  if (dir_.path().empty()) return "no temporary directory";
  const std::string config = dir_.Write(
      "alertmanager.yml",
      "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n");
  if (config.empty()) return "cannot write the Alertmanager config";
  std::string error;
  child_ = netns_->Spawn(
      {{"/usr/bin/prometheus-alertmanager", "--config.file=" + config,
        "--storage.path=" + dir_.File("data"),
        "--web.listen-address=" + std::string(kHost) + ":" +
            std::to_string(port_),
        "--cluster.listen-address=", "--log.level=warn"},
       "",
       dir_.path()},
      &error);
  if (!child_) return error;
  std::string last = "never polled";
  const bool ready = WaitFor(budget, milliseconds(100), [&] {
    if (!child_->Running()) {
      last = "alertmanager exited: " + child_->Stderr();
      return true;
    }
    auto response = Get("/-/ready", &error);
    last = response ? "/-/ready: " + std::to_string(response->status) : error;
    return response && response->status == 200;
  });
  if (!ready || !child_->Running()) return "alertmanager not ready: " + last;
  return "";
}

std::string Alertmanager::Stop() {
  if (!child_) return "";
  const ExitStatus status = child_->Stop();
  child_.reset();
  // Killed by our SIGTERM or exited 0 after it: both are clean.
  if (status.forced || (status.exited && status.code != 0)) {
    return status.ToString();
  }
  return "";
}

std::optional<HttpResponse> Alertmanager::Get(const std::string& target,
                                              std::string* error) const {
  return HttpGet(kHost, port_, target, kHttpTimeout, error);
}

std::optional<std::vector<ListedAlert>> ParseSockwatchAlerts(
    const std::string& json) {
  if (json.rfind(R"({"status":"success","data":{"alerts":[)", 0) != 0) {
    return std::nullopt;
  }
  static const std::regex alert(
      R"re(\{"labels":\{([^{}]*)\},"annotations":\{([^{}]*)\},"state":"([a-z]+)")re");
  std::vector<ListedAlert> out;
  for (auto it = std::sregex_iterator(json.begin(), json.end(), alert);
       it != std::sregex_iterator(); ++it) {
    out.push_back({FlatObject((*it)[1]), FlatObject((*it)[2]), (*it)[3], ""});
  }
  return out;
}

std::optional<std::vector<ListedAlert>> ParseAlertmanagerAlerts(
    const std::string& json) {
  if (json.empty() || json[0] != '[') return std::nullopt;
  // Each alert is one object; split them at the top level.
  std::vector<ListedAlert> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '"') {  // skip strings, escapes included
      for (++i; i < json.size() && json[i] != '"'; ++i) {
        if (json[i] == '\\') ++i;
      }
      continue;
    }
    if (json[i] == '{' && depth++ == 0) start = i;
    if (json[i] != '}' || --depth != 0) continue;
    const std::string object = json.substr(start, i + 1 - start);
    static const std::regex labels(R"re("labels":\{([^{}]*)\})re");
    static const std::regex annotations(R"re("annotations":\{([^{}]*)\})re");
    static const std::regex state(R"re("state":"([a-z]+)")re");
    static const std::regex generator(R"re("generatorURL":"([^"]*)")re");
    std::smatch m;
    ListedAlert a;
    if (!std::regex_search(object, m, labels)) return std::nullopt;
    a.labels = FlatObject(m[1]);
    if (std::regex_search(object, m, annotations)) {
      a.annotations = FlatObject(m[1]);
    }
    if (std::regex_search(object, m, state)) a.state = m[1];
    if (std::regex_search(object, m, generator)) a.generator_url = m[1];
    out.push_back(std::move(a));
  }
  return out;
}

const ListedAlert* FindAlert(const std::vector<ListedAlert>& alerts,
                             const Labels& filter) {
  for (const ListedAlert& a : alerts) {
    bool all = true;
    for (const auto& [k, v] : filter) {
      auto it = a.labels.find(k);
      all &= it != a.labels.end() && it->second == v;
    }
    if (all) return &a;
  }
  return nullptr;
}

std::string FormatLabels(const Labels& labels) {
  std::string out = "{";
  for (const auto& [k, v] : labels) {
    out += (out.size() > 1 ? ", " : "") + k + "=\"" + v + "\"";
  }
  return out + "}";
}

uint16_t FreeLoopbackPort() {
  std::string error;
  const int fd = BoundSocket(kHost, 0, true, 0, &error);
  const uint16_t port = fd >= 0 ? LocalPort(fd) : 0;
  if (fd >= 0) close(fd);
  return port;
}

}  // namespace sockwatch::it
