// Json: a small strict JSON parser for checking the daemon's /sockets and
// `sockwatch report --json` output field by field.
//
// Parse() accepts exactly RFC 8259 JSON (one value, optional whitespace
// around it) and rejects anything else, including duplicate object keys,
// with a message giving the byte offset. Strings keep \uXXXX escapes of the
// basic plane as UTF-8; numbers are doubles. Nesting is limited to 64 levels.
// Values are immutable after parsing; thread-safe for reads.
#ifndef SOCKWATCH_TESTS_INTEGRATION_ATTRIBUTION_JSON_H_
#define SOCKWATCH_TESTS_INTEGRATION_ATTRIBUTION_JSON_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sockwatch::it {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  // nullopt and *error on malformed input.
  static std::optional<Json> Parse(const std::string& text, std::string* error);

  Type type() const { return type_; }
  bool IsNull() const { return type_ == Type::kNull; }
  bool IsNumber() const { return type_ == Type::kNumber; }
  bool IsString() const { return type_ == Type::kString; }
  bool IsArray() const { return type_ == Type::kArray; }
  bool IsObject() const { return type_ == Type::kObject; }

  // The value, or the fallback when the type differs.
  double Number(double fallback = -1) const;
  std::string String(const std::string& fallback = "") const;
  bool Bool(bool fallback = false) const;
  // Array elements; empty unless an array.
  const std::vector<Json>& Items() const { return items_; }
  // Object members by key; empty unless an object.
  const std::map<std::string, Json>& Members() const { return members_; }
  // The member `key`, or a null value when absent (or not an object).
  const Json& operator[](const std::string& key) const;
  bool Has(const std::string& key) const { return members_.count(key) > 0; }

  // Compact rendering, for messages.
  std::string Dump() const;

 private:
  friend class JsonParser;

  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::map<std::string, Json> members_;
};

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_ATTRIBUTION_JSON_H_
