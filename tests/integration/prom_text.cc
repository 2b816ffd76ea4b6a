#include "prom_text.h"

#include <cctype>
#include <cstdlib>
#include <sstream>

namespace sockwatch::it {
namespace {

bool IsNameChar(char c, bool first) {
  return isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && isdigit(static_cast<unsigned char>(c)));
}

// Reads a metric or label name at `*pos`.
bool ReadName(const std::string& line, size_t* pos, std::string* name) {
  const size_t begin = *pos;
  while (*pos < line.size() && IsNameChar(line[*pos], *pos == begin)) ++*pos;
  *name = line.substr(begin, *pos - begin);
  return !name->empty();
}

// Reads `{a="x",b="y"}` at `*pos` (which points at '{').
bool ReadLabels(const std::string& line, size_t* pos, Labels* labels) {
  ++*pos;
  for (int i = 0; i < 1000; ++i) {
    if (*pos < line.size() && line[*pos] == '}') {
      ++*pos;
      return true;
    }
    std::string name;
    if (!ReadName(line, pos, &name) || *pos + 1 >= line.size() ||
        line[*pos] != '=' || line[*pos + 1] != '"') {
      return false;
    }
    *pos += 2;
    std::string value;
    bool closed = false;
    while (*pos < line.size() && !closed) {
      const char c = line[(*pos)++];
      if (c == '"') {
        closed = true;
      } else if (c == '\\' && *pos < line.size()) {
        const char e = line[(*pos)++];
        value += e == 'n' ? '\n' : e;
      } else {
        value += c;
      }
    }
    if (!closed || labels->count(name) > 0) return false;
    (*labels)[name] = value;
    if (*pos < line.size() && line[*pos] == ',') ++*pos;
  }
  return false;
}

std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

}  // namespace

std::string SeriesKey(const std::string& name, const Labels& labels) {
  if (labels.empty()) return name;
  std::string key = name + "{";
  bool first = true;
  for (const auto& [label, value] : labels) {
    if (!first) key += ",";
    first = false;
    key += label + "=\"" + Escape(value) + "\"";
  }
  return key + "}";
}

std::optional<Exposition> Exposition::Parse(const std::string& text,
                                            std::string* error) {
  Exposition out;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string where = "line " + std::to_string(number) + ": ";
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, family, type;
      words >> hash >> kind >> family >> type;
      if (kind == "TYPE") out.types_[family] = type;
      continue;
    }
    Sample sample;
    size_t pos = 0;
    if (!ReadName(line, &pos, &sample.name) ||
        (pos < line.size() && line[pos] == '{' &&
         !ReadLabels(line, &pos, &sample.labels)) ||
        pos >= line.size() || line[pos] != ' ') {
      *error = where + "malformed series: " + line;
      return std::nullopt;
    }
    std::istringstream rest(line.substr(pos));
    std::string value, timestamp, extra;
    rest >> value >> timestamp >> extra;
    char* end = nullptr;
    sample.value = strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !extra.empty()) {
      *error = where + "malformed value: " + line;
      return std::nullopt;
    }
    const std::string key = SeriesKey(sample.name, sample.labels);
    if (!out.by_key_.emplace(key, sample.value).second) {
      *error = where + "duplicate series " + key;
      return std::nullopt;
    }
    out.samples_.push_back(sample);
  }
  return out;
}

std::string Exposition::Type(const std::string& family) const {
  auto it = types_.find(family);
  return it == types_.end() ? "" : it->second;
}

std::optional<double> Exposition::Value(const std::string& name,
                                        const Labels& labels) const {
  auto it = by_key_.find(SeriesKey(name, labels));
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

std::vector<Sample> Exposition::Select(const std::string& name,
                                       const Labels& filter) const {
  std::vector<Sample> out;
  for (const Sample& sample : samples_) {
    if (sample.name != name) continue;
    bool match = true;
    for (const auto& [label, value] : filter) {
      auto it = sample.labels.find(label);
      match = match && it != sample.labels.end() && it->second == value;
    }
    if (match) out.push_back(sample);
  }
  return out;
}

double Exposition::Sum(const std::string& name, const Labels& filter) const {
  double sum = 0;
  for (const Sample& sample : Select(name, filter)) sum += sample.value;
  return sum;
}

}  // namespace sockwatch::it
