#include "daemon_runner.h"

#include <cstdlib>

namespace sockwatch::it {
namespace {

constexpr char kHost[] = "127.0.0.1";
constexpr milliseconds kHttpTimeout(5000);
constexpr char kTimestamp[] = "sockwatch_last_sample_timestamp_seconds";

void AddFlag(bool equals_form, const std::string& flag,
             const std::string& value, std::vector<std::string>* argv) {
  if (equals_form) {
    argv->push_back(flag + "=" + value);
  } else {
    argv->push_back(flag);
    argv->push_back(value);
  }
}

}  // namespace

std::string SockwatchBinary() {
  const char* env = getenv("SOCKWATCH_BIN");
  if (env != nullptr && *env != '\0') return env;
#ifdef SOCKWATCH_BIN
  return SOCKWATCH_BIN;
#else
  return "sockwatch";
#endif
}

double SampleTimestamp(const Exposition& scrape) {
  return scrape.Value(kTimestamp).value_or(0);
}

std::unique_ptr<Daemon> Daemon::Start(Netns* netns,
                                      const DaemonOptions& options,
                                      std::string* error) {
  std::unique_ptr<Daemon> daemon(new Daemon());
  daemon->port_ = options.port;
  std::vector<std::string> argv = options.command_prefix;
  argv.push_back(options.binary.empty() ? SockwatchBinary() : options.binary);
  if (!options.config_yaml.empty()) {
    daemon->config_path_ =
        daemon->dir_.Write("sockwatch.yml", options.config_yaml);
    if (daemon->config_path_.empty()) {
      *error = "cannot write the config file";
      return nullptr;
    }
    AddFlag(options.equals_form, "--config.file", daemon->config_path_, &argv);
  }
  if (options.listen_flag) {
    AddFlag(options.equals_form, "--web.listen-address",
            std::string(kHost) + ":" + std::to_string(options.port), &argv);
  }
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  const SpawnOptions spawn{argv, "", daemon->dir_.path()};
  daemon->child_ = netns != nullptr ? netns->Spawn(spawn, error)
                                    : Child::Spawn(spawn, error);
  if (!daemon->child_) return nullptr;
  return daemon;
}

Daemon::~Daemon() {
  if (child_) child_->Stop();
}

std::optional<HttpResponse> Daemon::Get(const std::string& target,
                                        std::string* error) {
  return HttpGet(kHost, port_, target, kHttpTimeout, error);
}

std::string Daemon::WaitReady(milliseconds budget) {
  std::string problem = "never polled";
  bool fatal = false;
  const bool ready = WaitFor(budget, milliseconds(50), [&] {
    if (!child_->Running()) {
      problem = child_->name() + " " + child_->Stop().ToString() +
                "; stderr:\n" + child_->Stderr();
      fatal = true;
      return true;
    }
    std::string error;
    auto response = Get("/-/ready", &error);
    if (!response) {
      problem = error;
      if (error.find("refused") == std::string::npos) fatal = true;
      return fatal;
    }
    problem = "/-/ready answered " + std::to_string(response->status);
    if (response->status == 200) return true;
    fatal = response->status != 503;
    return fatal;
  });
  if (ready && !fatal) return "";
  if (fatal) return problem;
  return "not ready within " + std::to_string(budget.count()) +
         " ms: " + problem;
}

std::optional<Exposition> Daemon::Scrape(std::string* error, std::string* raw,
                                         const std::string& path) {
  auto response = Get(path, error);
  if (!response) return std::nullopt;
  if (response->status != 200) {
    *error = "GET " + path + ": status " + std::to_string(response->status);
    return std::nullopt;
  }
  if (raw != nullptr) *raw = response->body;
  std::string parse_error;
  auto scrape = Exposition::Parse(response->body, &parse_error);
  if (!scrape) *error = "GET " + path + ": " + parse_error;
  return scrape;
}

std::optional<Exposition> Daemon::ScrapeNewSample(double after,
                                                  milliseconds budget,
                                                  std::string* error) {
  std::optional<Exposition> scrape;
  bool failed = false;
  const bool fresh = WaitFor(budget, milliseconds(100), [&] {
    scrape = Scrape(error);
    failed = !scrape;
    return failed || SampleTimestamp(*scrape) > after;
  });
  if (failed) return std::nullopt;
  if (!fresh) {
    *error = "no sample newer than " + std::to_string(after) + " within " +
             std::to_string(budget.count()) + " ms";
    return std::nullopt;
  }
  return scrape;
}

std::optional<Exposition> Daemon::ScrapeUntil(
    const std::function<bool(const Exposition&)>& accept, int samples,
    bool* accepted, std::string* error) {
  *accepted = false;
  std::optional<Exposition> scrape = Scrape(error);
  for (int i = 0; scrape && i < samples; ++i) {
    *accepted = accept(*scrape);
    if (*accepted || i + 1 == samples) break;
    scrape =
        ScrapeNewSample(SampleTimestamp(*scrape), milliseconds(10000), error);
  }
  return scrape;
}

}  // namespace sockwatch::it
