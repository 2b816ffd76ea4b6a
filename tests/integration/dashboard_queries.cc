#include "dashboard_queries.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>

namespace sockwatch::it {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t SkipSpace(const std::string& text, size_t pos) {
  while (pos < text.size() && IsSpace(text[pos])) ++pos;
  return pos;
}

void AppendUtf8(uint32_t code, std::string* out) {
  if (code < 0x80) {
    out->push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code >> 6)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (code >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

// Reads the string token starting at text[pos] == '"'. Sets *end past the
// closing quote and returns the unescaped value; *end = npos when the string
// never ends.
std::string ReadString(const std::string& text, size_t pos, size_t* end) {
  std::string value;
  for (size_t i = pos + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      *end = i + 1;
      return value;
    }
    if (c != '\\') {
      value.push_back(c);
      continue;
    }
    if (++i >= text.size()) break;
    switch (text[i]) {
      case 'b':
        value.push_back('\b');
        break;
      case 'f':
        value.push_back('\f');
        break;
      case 'n':
        value.push_back('\n');
        break;
      case 'r':
        value.push_back('\r');
        break;
      case 't':
        value.push_back('\t');
        break;
      case 'u':
        if (i + 4 < text.size()) {
          AppendUtf8(static_cast<uint32_t>(
                         strtoul(text.substr(i + 1, 4).c_str(), nullptr, 16)),
                     &value);
          i += 4;
        }
        break;
      default:
        value.push_back(text[i]);
        break;  // \" \\ \/
    }
  }
  *end = std::string::npos;
  return value;
}

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool IsIdentChar(char c) {
  return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) != 0;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<std::string> JsonStringMembers(const std::string& json,
                                           const std::string& key) {
  std::vector<std::string> values;
  size_t pos = 0;
  while (pos < json.size()) {
    if (json[pos] != '"') {
      ++pos;
      continue;
    }
    size_t end = 0;
    const std::string token = ReadString(json, pos, &end);
    if (end == std::string::npos) break;
    pos = end;
    const size_t colon = SkipSpace(json, end);
    if (colon >= json.size() || json[colon] != ':') continue;  // not a key
    const size_t value = SkipSpace(json, colon + 1);
    pos = colon + 1;
    if (token != key || value >= json.size() || json[value] != '"') continue;
    values.push_back(ReadString(json, value, &end));
    if (end == std::string::npos) break;
    pos = end;
  }
  return values;
}

std::string SubstituteVariables(
    const std::string& expr, const std::map<std::string, std::string>& values,
    std::set<std::string>* unknown) {
  std::string out;
  size_t i = 0;
  while (i < expr.size()) {
    size_t name_begin = 0;
    size_t name_end = 0;
    size_t next = 0;
    if (expr[i] == '$' && i + 1 < expr.size() && expr[i + 1] == '{') {
      const size_t close = expr.find('}', i + 2);
      if (close != std::string::npos) {
        name_begin = i + 2;
        name_end = expr.find(':', name_begin);
        if (name_end == std::string::npos || name_end > close) name_end = close;
        next = close + 1;
      }
    } else if (expr[i] == '$' && i + 1 < expr.size() &&
               IsIdentStart(expr[i + 1])) {
      name_begin = i + 1;
      name_end = name_begin;
      while (name_end < expr.size() && IsIdentChar(expr[name_end])) ++name_end;
      next = name_end;
    } else if (expr.compare(i, 2, "[[") == 0) {
      const size_t close = expr.find("]]", i + 2);
      if (close != std::string::npos) {
        name_begin = i + 2;
        name_end = close;
        next = close + 2;
      }
    }
    if (next == 0) {
      out.push_back(expr[i++]);
      continue;
    }
    const std::string name = expr.substr(name_begin, name_end - name_begin);
    const auto found = values.find(name);
    if (found != values.end()) {
      out += found->second;
    } else {
      if (unknown != nullptr) unknown->insert(name);
      out += expr.substr(i, next - i);
    }
    i = next;
  }
  return out;
}

std::set<std::string> MetricsIn(const std::string& expr, bool base_names) {
  std::set<std::string> metrics;
  size_t i = 0;
  while (i < expr.size()) {
    if (!IsIdentStart(expr[i]) || (i > 0 && IsIdentChar(expr[i - 1]))) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < expr.size() && (IsIdentChar(expr[end]) || expr[end] == ':')) {
      ++end;
    }
    std::string name = expr.substr(i, end - i);
    i = end;
    if (name.rfind("sockwatch_", 0) != 0) continue;
    if (base_names) {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        if (EndsWith(name, suffix)) {
          name.resize(name.size() - std::string(suffix).size());
          break;
        }
      }
    }
    metrics.insert(name);
  }
  return metrics;
}

QueryAnswer ParseQueryAnswer(const std::string& body) {
  QueryAnswer answer;
  const auto status = JsonStringMembers(body, "status");
  answer.success = !status.empty() && status.front() == "success";
  const auto type = JsonStringMembers(body, "resultType");
  if (!type.empty()) answer.result_type = type.front();
  const size_t result = body.find("\"result\"");
  if (result != std::string::npos) {
    size_t pos = SkipSpace(body, result + 8);
    if (pos < body.size() && body[pos] == ':') pos = SkipSpace(body, pos + 1);
    if (pos < body.size() && body[pos] == '[') {
      pos = SkipSpace(body, pos + 1);
      answer.empty = pos >= body.size() || body[pos] == ']';
    }
  }
  if (!answer.success) {
    const auto kind = JsonStringMembers(body, "errorType");
    const auto error = JsonStringMembers(body, "error");
    answer.error = (kind.empty() ? std::string("?") : kind.front()) + ": " +
                   (error.empty() ? body : error.front());
  }
  return answer;
}

std::set<std::string> LabelValues(const std::string& body,
                                  const std::string& label) {
  const auto values = JsonStringMembers(body, label);
  return {values.begin(), values.end()};
}

}  // namespace sockwatch::it
