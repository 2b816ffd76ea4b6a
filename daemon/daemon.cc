#include "daemon/daemon.h"

#include <signal.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "config/duration.h"
#include "daemon/http_server.h"
#include "daemon/live_sockets.h"
#include "daemon/notifier.h"
#include "daemon/reloader.h"
#include "daemon/report.h"
#include "daemon/rule_engine.h"
#include "daemon/service_notify.h"
#include "daemon/sockets_view.h"
#include "daemon/version.h"

namespace sockwatch {
namespace {

std::string LandingPage(const Config& config) {
  return "<!DOCTYPE html>\n<html><head><title>sockwatch</title></head><body>\n"
         "<h1>sockwatch</h1>\n<p>TCP connection leak finder, version " +
         std::string(kVersion) +
         ".</p>\n<ul>\n"
         "<li><a href=\"" +
         config.telemetry_path + "\">Metrics</a></li>\n" +
         "<li><a href=\"/-/healthy\">Health</a></li>\n"
         "<li><a href=\"/-/ready\">Readiness</a></li>\n"
         "<li><a href=\"/alerts\">Alerts</a></li>\n"
         "<li><a href=\"/sockets?state=close_wait\">CLOSE_WAIT sockets</a>"
         "</li>\n"
         "</ul>\n</body></html>\n";
}

void AddRoutes(HttpServer& http, const Config& config, SnapshotStore* store,
               Metrics* metrics, LiveSockets* live) {
  http.Route("/sockets", "sockets", [store, live](const HttpRequest& r) {
    SocketQuery q;
    Status status = ParseSocketQuery(r.query, &q);
    if (!status.ok()) {
      return HttpResponse{400, "text/plain; charset=utf-8",
                          "bad request: " + status.message() + "\n"};
    }
    auto snapshot = store->Latest();
    if (snapshot == nullptr) {
      return HttpResponse{503, "text/plain; charset=utf-8",
                          "no sample taken yet\n"};
    }
    if (q.state == kCloseWait && snapshot->attribution) {
      return HttpResponse{200, "application/json",
                          CloseWaitSocketsJson(*snapshot, q)};
    }
    std::string json;
    status = live->Query(q, &json);
    if (!status.ok()) {
      return HttpResponse{500, "text/plain; charset=utf-8",
                          "cannot read sockets: " + status.message() + "\n"};
    }
    return HttpResponse{200, "application/json", json};
  });
  http.Route(config.telemetry_path, "metrics", [store, metrics](auto&) {
    auto snapshot = store->Latest();
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics->Render(snapshot.get())};
  });
  http.Route("/alerts", "alerts", [store](auto&) {
    auto snapshot = store->Latest();
    return HttpResponse{
        200, "application/json",
        AlertsJson(snapshot ? snapshot->alerts : std::vector<Alert>{})};
  });
  http.Route("/-/healthy", "healthy", [](auto&) {
    return HttpResponse{200, "text/plain; charset=utf-8",
                        "sockwatch is Healthy.\n"};
  });
  http.Route("/-/ready", "ready", [store](auto&) {
    if (store->Latest() == nullptr) {
      return HttpResponse{503, "text/plain; charset=utf-8",
                          "Service Unavailable: no sample taken yet.\n"};
    }
    return HttpResponse{200, "text/plain; charset=utf-8",
                        "sockwatch is Ready.\n"};
  });
  std::string landing = LandingPage(config);
  http.Route("/", "landing", [landing](auto&) {
    return HttpResponse{200, "text/html; charset=utf-8", landing};
  });
}

void CopySamplingConfig(const Config& config, Sampler::Options* options) {
  options->interval = config.interval;
  options->port_top_n = config.port_top_n;
  options->attribution = config.attribution;
  options->process_top_n = config.process_top_n;
  options->namespaces_all = config.namespaces_all;
  options->netns_top_n = config.netns_top_n;
  options->procfs = config.procfs;
  options->cgroupfs = config.cgroupfs;
}

double UnixNow() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Where an Alertmanager user finds the alert: this daemon's /alerts.
std::string GeneratorUrl(const Config& config, int port, bool tls) {
  ListenAddress address = *ParseListenAddress(config.listen_address);
  std::string host = address.host;
  if (host.empty() || host == "0.0.0.0" || host == "::") {
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    host = name;
  } else if (address.ipv6) {
    host = "[" + host + "]";
  }
  return (tls ? "https://" : "http://") + host + ":" + std::to_string(port) +
         "/alerts";
}

}  // namespace

int RunDaemon(const Config& config, const Flags& flags,
              Sampler::TransportFactory factory) {
  // Signals are taken synchronously by this thread; block them before any
  // other thread starts so none of those receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  spdlog::info("starting sockwatch {} (revision {}), interval {}", kVersion,
               kRevision, FormatDuration(config.interval));
  SnapshotStore store;
  Metrics metrics;
  HttpServer http(&metrics);
  LiveSockets live(factory, config.procfs, config.attribution,
                   config.namespaces_all);
  AddRoutes(http, config, &store, &metrics, &live);
  std::atomic<Reloader*> reloader{nullptr};
  if (flags.enable_lifecycle) {
    http.RoutePost("/-/reload", "reload", [&reloader](auto&) {
      Reloader* r = reloader.load();
      if (r == nullptr) {
        return HttpResponse{503, "text/plain; charset=utf-8",
                            "still starting\n"};
      }
      Status s = r->Reload();
      return s.ok() ? HttpResponse{200, "text/plain; charset=utf-8", ""}
                    : HttpResponse{
                          400, "text/plain; charset=utf-8",
                          "failed to reload config: " + s.message() + "\n"};
    });
  }
  WebConfig web;
  Status status;
  if (!flags.web_config_file.empty()) {
    status = LoadWebConfigFile(flags.web_config_file, &web);
    if (!status.ok()) {
      spdlog::critical("{}", status.message());
      return 1;
    }
  }
  status = http.Listen(*ParseListenAddress(config.listen_address), web);
  if (!status.ok()) {
    spdlog::critical("{}", status.message());
    return 1;
  }
  spdlog::info("listening on {} (port {}{}{}), metrics at {}",
               config.listen_address, http.BoundPort(), web.tls ? ", TLS" : "",
               web.basic_auth_users.empty() ? "" : ", basic auth",
               config.telemetry_path);

  RuleEngine engine(config.rules);
  Notifier notifier(config.alerting,
                    GeneratorUrl(config, http.BoundPort(), web.tls.has_value()),
                    &metrics);
  spdlog::info("{} alerting rules{}, {} Alertmanagers", config.rules.size(),
               config.rules_configured ? "" : " (built-in defaults)",
               config.alerting.alertmanagers.size());

  Sampler::Options options;
  options.record_dump_path = flags.record_dump;
  options.replaying = !flags.replay_dump.empty();
  CopySamplingConfig(config, &options);
  ServiceNotify service;
  options.on_sample = [&engine, &notifier, &service](Snapshot& s) {
    std::vector<Alert> result = engine.Evaluate(s, s.timestamp_seconds);
    notifier.Update(result, s.timestamp_seconds);
    size_t firing = 0;
    for (Alert& a : result) {
      if (a.state == AlertState::kFiring) ++firing;
      if (a.state != AlertState::kResolved) s.alerts.push_back(std::move(a));
    }
    s.rule_evaluation_failures = engine.failures();
    service.Status(fmt::format("{} sockets, {} in CLOSE_WAIT, {} alerts firing",
                               s.sockets_sampled, s.sockets[kCloseWait],
                               firing));
  };
  // The sampling loop proves it is alive after every sample, failed or not;
  // READY=1 waits for the first published one.
  options.heartbeat =
      std::chrono::milliseconds(service.watchdog_interval_usec() / 1000);
  options.after_attempt = [&service, &store] {
    service.Watchdog();
    if (store.Latest() != nullptr) service.Ready();
  };
  Sampler sampler(std::move(factory), options, &store, &metrics);
  metrics.ObserveReload(true, UnixNow());
  Reloader reload(config, flags,
                  {&sampler, &engine, &notifier, &metrics, &service});
  reloader = &reload;
  sampler.Start();

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", flags.config_file.empty()
                                               ? "(no config file: defaults)"
                                               : flags.config_file);
      reload.Reload();
      continue;
    }
    spdlog::info("received {}, shutting down", strsignal(sig));
    break;
  }
  service.Stopping();
  http.Close();  // no request may still be using what is torn down below
  sampler.Stop();
  spdlog::debug("sampler stopped");
  return 0;
}

int RunReport(const Config& config, const Flags& flags,
              Sampler::TransportFactory factory) {
  SnapshotStore store;
  Metrics metrics;
  Sampler::Options options;
  options.record_dump_path = flags.record_dump;
  options.replaying = !flags.replay_dump.empty();
  CopySamplingConfig(config, &options);
  Sampler sampler(std::move(factory), options, &store, &metrics);
  Status status = sampler.SampleOnce();
  if (!status.ok()) {
    std::fprintf(stderr, "sockwatch report: cannot read TCP sockets: %s\n",
                 status.message().c_str());
    return 1;
  }
  ReportOptions report;
  report.state = *StateFromName(flags.state);
  report.top = flags.top;
  std::string out = flags.json ? ReportJson(*store.Latest(), report)
                               : ReportTable(*store.Latest(), report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace sockwatch
