#include "attribution_support.h"

#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

namespace sockwatch::it {
namespace {

std::string TableOf(const std::vector<SsOwnedRow>& rows) {
  std::vector<std::string> lines;
  for (const SsOwnedRow& r : rows) {
    std::string line = Format({r.row});
    line.pop_back();
    line += " ino=" + std::to_string(r.inode);
    for (const SsUser& u : r.users) {
      line += " " + u.process + "/" + std::to_string(u.pid) + "/" +
              std::to_string(u.fd);
    }
    lines.push_back(line + "\n");
  }
  std::sort(lines.begin(), lines.end());
  std::string table;
  for (const std::string& line : lines) table += line;
  return table;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const SsUser* SsOwnedRow::Owner() const {
  const SsUser* owner = nullptr;
  for (const SsUser& u : users) {
    if (owner == nullptr || u.pid < owner->pid) owner = &u;
  }
  return owner;
}

std::optional<std::vector<SsOwnedRow>> RunSsOwners(std::string* error) {
  CommandResult run = RunCommand({"ss", "-tanpeH"}, milliseconds(30000));
  if (!run.spawn_error.empty() || !run.status.Ok()) {
    *error = "ss -tanpeH: " + run.spawn_error + run.status.ToString() + " " +
             run.err;
    return std::nullopt;
  }
  static const std::regex kUser("\\(\"([^\"]*)\",pid=([0-9]+),fd=([0-9]+)\\)");
  static const std::regex kInode(" ino:([0-9]+)");
  std::vector<SsOwnedRow> rows;
  std::istringstream lines(run.out);
  std::string line;
  for (int i = 0; i < 100000 && std::getline(lines, line); ++i) {
    auto parsed = ParseSs(line, error);
    if (!parsed) return std::nullopt;
    if (parsed->empty()) continue;
    SsOwnedRow row;
    row.row = parsed->front();
    std::smatch m;
    if (std::regex_search(line, m, kInode)) row.inode = std::stoull(m[1]);
    for (auto it = std::sregex_iterator(line.begin(), line.end(), kUser);
         it != std::sregex_iterator(); ++it) {
      row.users.push_back({(*it)[1], std::stoi((*it)[2]), std::stoi((*it)[3])});
    }
    rows.push_back(row);
  }
  return rows;
}

std::optional<std::vector<SsOwnedRow>> SettledSsOwners(milliseconds budget,
                                                       std::string* error) {
  static const std::set<std::string> kPassing = {
      "fin_wait1", "last_ack", "closing", "syn_sent", "syn_recv"};
  std::optional<std::vector<SsOwnedRow>> rows;
  std::string previous = "-";
  bool failed = false;
  const bool settled = WaitFor(budget, milliseconds(100), [&] {
    rows = RunSsOwners(error);
    failed = !rows;
    if (failed) return true;
    const std::string table = TableOf(*rows);
    bool same = table == previous;
    previous = table;
    for (const SsOwnedRow& r : *rows)
      same = same && !kPassing.count(r.row.state);
    return same;
  });
  if (failed) return std::nullopt;
  if (!settled) {
    *error = "ss -tanpe did not settle:\n" + previous;
    return std::nullopt;
  }
  return rows;
}

ProcessStates ProcessStatesOf(const std::vector<SsOwnedRow>& rows) {
  ProcessStates out;
  for (const SsOwnedRow& r : rows) {
    const SsUser* owner = r.Owner();
    out[owner ? owner->process : "unknown"][r.row.state] += 1;
  }
  return out;
}

ProcessStates ProcessStatesOf(const Exposition& scrape) {
  ProcessStates out;
  for (const Sample& s : scrape.Select(kProcessSockets)) {
    if (s.value == 0) continue;
    auto process = s.labels.find("process");
    auto state = s.labels.find("state");
    out[process == s.labels.end() ? "?" : process->second]
       [state == s.labels.end() ? "?" : state->second] +=
        static_cast<int64_t>(s.value);
  }
  return out;
}

std::string Format(const ProcessStates& states) {
  std::string text;
  for (const auto& [process, counts] : states) {
    text += "  " + process + ": " + Format(counts) + "\n";
  }
  return text;
}

StateCounts HostStatesOf(const std::vector<SsOwnedRow>& rows) {
  StateCounts counts;
  for (const SsOwnedRow& r : rows) counts[r.row.state] += 1;
  return counts;
}

int FdCount(pid_t pid) {
  std::error_code ec;
  int n = 0;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator() && n < 1000000;
       it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n;
}

std::string FdTarget(pid_t pid, int fd) {
  std::error_code ec;
  const auto target = std::filesystem::read_symlink(
      "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd), ec);
  return ec ? "" : target.string();
}

std::string ExpectedUnit(pid_t pid) {
  std::istringstream lines(
      ReadFile("/proc/" + std::to_string(pid) + "/cgroup"));
  std::string line;
  std::string unit = "-";
  for (int i = 0; i < 1000 && std::getline(lines, line); ++i) {
    if (line.rfind("0::", 0) != 0) continue;
    std::istringstream parts(line.substr(3));
    std::string part;
    for (int j = 0; j < 1000 && std::getline(parts, part, '/'); ++j) {
      if (EndsWith(part, ".service") || EndsWith(part, ".scope")) unit = part;
    }
  }
  return unit;
}

std::string ExeName(pid_t pid) {
  std::error_code ec;
  const auto target = std::filesystem::read_symlink(
      "/proc/" + std::to_string(pid) + "/exe", ec);
  return ec ? "" : target.filename().string();
}

std::string Loopback(uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

void ExpectProcessSumsMatchHost(const Exposition& scrape) {
  for (const char* state : kStates) {
    SCOPED_TRACE(state);
    EXPECT_EQ(scrape.Sum(kProcessSockets, {{"state", state}}),
              scrape.Value(kSocketsMetric, {{"state", state}}).value_or(-1));
  }
}

void ExpectSocketRowKeys(const Json& object) {
  for (const char* key :
       {"pid", "process", "unit", "fd", "shared", "local", "remote", "state",
        "age_seconds", "recv_queue", "send_queue", "peer_on_host", "peer"}) {
    EXPECT_TRUE(object.Has(key)) << "no \"" << key << "\" in " << object.Dump();
  }
  EXPECT_EQ(object.Members().size(), 13u) << object.Dump();
}

void AttributionTest::TearDown() {
  daemon_.reset();
  agents_.clear();
  NetnsTest::TearDown();
}

Agent* AttributionTest::NewAgent(const std::string& name, int max_fds) {
  std::string error;
  std::unique_ptr<Agent> agent = Agent::Start(name, max_fds, &error);
  if (!agent) {
    ADD_FAILURE() << "agent " << name << ": " << error;
    return nullptr;
  }
  agents_.push_back(std::move(agent));
  return agents_.back().get();
}

void AttributionTest::Settle() {
  std::string error;
  ASSERT_TRUE(SettledSsOwners(milliseconds(5000), &error)) << error;
}

std::optional<Json> AttributionTest::GetJson(const std::string& target) {
  std::string error;
  auto response = daemon_->Get(target, &error);
  if (!response) {
    ADD_FAILURE() << "GET " << target << ": " << error;
    return std::nullopt;
  }
  if (response->status != 200) {
    ADD_FAILURE() << "GET " << target << ": status " << response->status << ": "
                  << response->body;
    return std::nullopt;
  }
  auto json = Json::Parse(response->body, &error);
  if (!json) ADD_FAILURE() << "GET " << target << ": " << error;
  return json;
}

}  // namespace sockwatch::it
