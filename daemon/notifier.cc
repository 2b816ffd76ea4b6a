#include "daemon/notifier.h"

#include <curl/curl.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include "daemon/socket_format.h"

namespace sockwatch {
namespace {

double Now() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string LabelsJson(const std::map<std::string, std::string>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) {
    if (out.size() > 1) out += ",";
    out += JsonString(k) + ":" + JsonString(v);
  }
  return out + "}";
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

std::string Fingerprint(const Alert& a) {
  std::string f = a.rule;
  for (const auto& [k, v] : a.labels) f += "\x1f" + k + "=" + v;
  return f;
}

std::string Rfc3339(double t) {
  time_t secs = static_cast<time_t>(std::floor(t));
  int ms = static_cast<int>((t - std::floor(t)) * 1000);
  tm utc;
  gmtime_r(&secs, &utc);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03d}Z", buf, ms);
}

std::string Notifier::Body(const std::vector<Alert>& alerts,
                           const std::string& generator_url,
                           double resend_seconds) {
  std::string out = "[";
  for (const Alert& a : alerts) {
    if (out.size() > 1) out += ",";
    // A firing alert ends on its own if we stop resending it (as Prometheus
    // does: four resend intervals).
    double ends = a.state == AlertState::kResolved ? a.resolved_at
                                                   : Now() + 4 * resend_seconds;
    out += fmt::format(
        "{{\"labels\":{},\"annotations\":{},\"startsAt\":\"{}\","
        "\"endsAt\":\"{}\",\"generatorURL\":{}}}",
        LabelsJson(a.labels), LabelsJson(a.annotations), Rfc3339(a.fired_at),
        Rfc3339(ends), JsonString(generator_url));
  }
  return out + "]";
}

Notifier::Notifier(AlertingConfig config, std::string generator_url,
                   Metrics* metrics)
    : generator_url_(std::move(generator_url)),
      metrics_(metrics),
      config_(std::move(config)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  thread_ = std::thread([this] { Run(); });
}

Notifier::~Notifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  spdlog::debug("notifier stopped");
}

void Notifier::SetConfig(AlertingConfig config) {
  std::lock_guard<std::mutex> lock(mu_);
  config_ = std::move(config);
  retry_at_.clear();
  failures_.clear();
}

void Notifier::Update(const std::vector<Alert>& alerts, double now) {
  (void)now;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Alert& a : alerts) {
      if (a.state == AlertState::kPending) continue;
      std::string id = Fingerprint(a);
      auto it = entries_.find(id);
      if (it == entries_.end()) {
        if (a.state == AlertState::kResolved) continue;  // never sent
        if (entries_.size() >= kMaxPending && !DropOneResolved()) {
          metrics_->CountNotificationDrop();  // full of firing alerts
          continue;
        }
        it = entries_.emplace(id, Entry{a, {}}).first;
      }
      Entry& e = it->second;
      bool resolved_now = a.state == AlertState::kResolved &&
                          e.alert.state != AlertState::kResolved;
      e.alert = a;
      if (resolved_now) e.sent.clear();  // send the resolution at once
    }
  }
  wake_.notify_all();
}

bool Notifier::DropOneResolved() {
  // A new firing alert matters more than an old resolution: Alertmanager
  // ends an alert on its own once its endsAt passes.
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.alert.state != AlertState::kResolved) continue;
    if (oldest == entries_.end() ||
        it->second.alert.resolved_at < oldest->second.alert.resolved_at) {
      oldest = it;
    }
  }
  if (oldest == entries_.end()) return false;
  entries_.erase(oldest);
  metrics_->CountNotificationDrop();
  return true;
}

void Notifier::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const double resend = config_.resend_interval.count() / 1000.0;
    const AlertingConfig config = config_;
    for (const std::string& url : config.alertmanagers) {
      const double now = Now();
      if (retry_at_[url] > now) continue;
      std::vector<Alert> due;
      for (auto& [id, e] : entries_) {
        double sent = e.sent[url];
        if (sent == 0 || now - sent >= resend) due.push_back(e.alert);
      }
      if (due.empty()) continue;
      std::string body = Body(due, generator_url_, resend);
      lock.unlock();
      bool ok = Post(url, body, static_cast<long>(config.timeout.count()));
      lock.lock();
      if (stopping_) return;
      metrics_->CountNotification(ok);
      if (!ok) {
        int n = ++failures_[url];
        double backoff = std::min(30.0, std::pow(2.0, n - 1));
        retry_at_[url] = Now() + backoff;
        spdlog::warn(
            "alertmanager {}: sending {} alerts failed ({} in a row), "
            "retrying in {:.0f}s",
            url, due.size(), n, backoff);
        continue;
      }
      if (failures_[url] > 0) {
        spdlog::info("alertmanager {}: delivering again", url);
      }
      failures_[url] = 0;
      for (const Alert& a : due) {
        auto it = entries_.find(Fingerprint(a));
        if (it != entries_.end()) it->second.sent[url] = now;
      }
    }
    // A resolution is done once every Alertmanager has it.
    for (auto it = entries_.begin(); it != entries_.end();) {
      bool delivered = it->second.alert.state == AlertState::kResolved;
      for (const std::string& url : config.alertmanagers) {
        delivered &= it->second.sent[url] != 0;
      }
      it = delivered ? entries_.erase(it) : std::next(it);
    }
    wake_.wait_for(lock, std::chrono::seconds(1));
  }
}

bool Notifier::Post(const std::string& base_url, const std::string& body,
                    long timeout_ms) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return false;
  std::string url = base_url + "/api/v2/alerts";
  curl_slist* headers =
      curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    spdlog::debug("alertmanager {}: {}", url, curl_easy_strerror(rc));
    return false;
  }
  if (code < 200 || code >= 300) {
    spdlog::debug("alertmanager {}: HTTP {}", url, code);
    return false;
  }
  return true;
}

}  // namespace sockwatch
