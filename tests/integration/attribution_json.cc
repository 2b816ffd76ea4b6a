#include "attribution_json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace sockwatch::it {

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : text_(text) {}

  std::optional<Json> Run(std::string* error) {
    Json value;
    bool ok = Value(&value, 0);
    Space();
    if (ok && pos_ != text_.size()) ok = Fail("trailing characters");
    if (!ok) {
      *error = "JSON at byte " + std::to_string(pos_) + ": " + problem_;
      return std::nullopt;
    }
    return value;
  }

 private:
  static constexpr int kMaxDepth = 64;

  bool Fail(const std::string& problem) {
    if (problem_.empty()) problem_ = problem;
    return false;
  }
  void Space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t'))
      ++pos_;
  }
  bool Literal(const char* word) {
    const std::string w(word);
    if (text_.compare(pos_, w.size(), w) != 0) return Fail("unexpected token");
    pos_ += w.size();
    return true;
  }

  bool Value(Json* out, int depth) {
    if (depth > kMaxDepth) return Fail("nested too deeply");
    Space();
    if (pos_ >= text_.size()) return Fail("unexpected end");
    const char c = text_[pos_];
    if (c == '{') return Object(out, depth);
    if (c == '[') return Array(out, depth);
    if (c == '"') {
      out->type_ = Json::Type::kString;
      return String(&out->string_);
    }
    if (c == 't' || c == 'f') {
      out->type_ = Json::Type::kBool;
      out->bool_ = c == 't';
      return Literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') return Literal("null");
    return Number(out);
  }

  bool Object(Json* out, int depth) {
    out->type_ = Json::Type::kObject;
    ++pos_;
    Space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (pos_ < text_.size()) {
      std::string key;
      Space();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("want a key");
      if (!String(&key)) return false;
      Space();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("want ':'");
      ++pos_;
      Json value;
      if (!Value(&value, depth + 1)) return false;
      if (!out->members_.emplace(key, std::move(value)).second) {
        return Fail("duplicate key \"" + key + "\"");
      }
      Space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail("want ',' or '}'");
    }
    return Fail("unterminated object");
  }

  bool Array(Json* out, int depth) {
    out->type_ = Json::Type::kArray;
    ++pos_;
    Space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (pos_ < text_.size()) {
      Json value;
      if (!Value(&value, depth + 1)) return false;
      out->items_.push_back(std::move(value));
      Space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail("want ',' or ']'");
    }
    return Fail("unterminated array");
  }

  bool String(std::string* out) {
    ++pos_;  // the opening quote
    while (pos_ < text_.size()) {
      const unsigned char c = text_[pos_++];
      if (c == '"') return true;
      if (c < 0x20) return Fail("control character in a string");
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        continue;
      }
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      static const std::string kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
      const size_t simple = kFrom.find(e);
      if (simple != std::string::npos) {
        out->push_back(kTo[simple]);
        continue;
      }
      if (e != 'u' || pos_ + 4 > text_.size()) return Fail("bad escape");
      char* end = nullptr;
      const std::string hex = text_.substr(pos_, 4);
      const long code = strtol(hex.c_str(), &end, 16);
      if (*end != '\0') return Fail("bad \\u escape");
      pos_ += 4;
      if (code < 0x80) {
        out->push_back(static_cast<char>(code));
      } else if (code < 0x800) {
        out->push_back(static_cast<char>(0xc0 | (code >> 6)));
        out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
      } else {
        out->push_back(static_cast<char>(0xe0 | (code >> 12)));
        out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
        out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
      }
    }
    return Fail("unterminated string");
  }

  bool Number(Json* out) {
    const size_t begin = pos_;
    auto digits = [this] {
      const size_t from = pos_;
      while (pos_ < text_.size() &&
             isdigit(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      }
      return pos_ > from;
    };
    if (text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return Fail("unexpected character");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digits()) return Fail("bad number");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
        ++pos_;
      if (!digits()) return Fail("bad number");
    }
    out->type_ = Json::Type::kNumber;
    out->number_ = strtod(text_.substr(begin, pos_ - begin).c_str(), nullptr);
    return true;
  }

  const std::string& text_;
  size_t pos_ = 0;
  std::string problem_;
};

std::optional<Json> Json::Parse(const std::string& text, std::string* error) {
  return JsonParser(text).Run(error);
}

double Json::Number(double fallback) const {
  return type_ == Type::kNumber ? number_ : fallback;
}

std::string Json::String(const std::string& fallback) const {
  return type_ == Type::kString ? string_ : fallback;
}

bool Json::Bool(bool fallback) const {
  return type_ == Type::kBool ? bool_ : fallback;
}

const Json& Json::operator[](const std::string& key) const {
  static const Json kNull;
  auto it = members_.find(key);
  return it == members_.end() ? kNull : it->second;
}

std::string Json::Dump() const {
  switch (type_) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return bool_ ? "true" : "false";
    case Type::kNumber: {
      char buffer[32];
      snprintf(buffer, sizeof(buffer), "%.17g", number_);
      return buffer;
    }
    case Type::kString:
      return "\"" + string_ + "\"";
    case Type::kArray: {
      std::string out = "[";
      for (const Json& item : items_) {
        out += (out.size() > 1 ? "," : "") + item.Dump();
      }
      return out + "]";
    }
    case Type::kObject: {
      std::string out = "{";
      for (const auto& [key, value] : members_) {
        out += (out.size() > 1 ? ",\"" : "\"") + key + "\":" + value.Dump();
      }
      return out + "}";
    }
  }
  return "?";
}

}  // namespace sockwatch::it
