// io/json.h — a small JSON value (writer and parser) for results.json / metrics.json.
// Writer: objects keep insertion order; integers are written exactly; doubles in the shortest
// form that reads back to the same double (at most 17 significant digits, "%.17g"-exact);
// NaN and ±inf, which JSON cannot hold, are written as null; strings are escaped (control
// characters as \uXXXX, UTF-8 passed through, each byte that is not well-formed UTF-8 written as
// U+FFFD so that the output is always valid JSON). Parser: RFC 8259 (objects, arrays, strings with
// every escape incl. surrogate pairs, numbers, true/false/null), nesting depth ≤ 512, errors
// "FILE:LINE:COL: what was expected". Numbers without '.', 'e' or 'E' that fit int64 parse as
// integers, the rest as doubles.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace lethe::io {

// The shortest decimal that round-trips to v ("nan", "inf", "-inf" for non-finite values).
std::string format_double(double v);

class Json {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : t_(Type::kBool), b_(b) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Json(T v) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= 8) {
      if (v > static_cast<T>(INT64_MAX)) { t_ = Type::kDouble; d_ = static_cast<double>(v); return; }
    }
    t_ = Type::kInt;
    i_ = static_cast<int64_t>(v);
  }
  Json(double v) : t_(Type::kDouble), d_(v) {}
  Json(float v) : t_(Type::kDouble), d_(static_cast<double>(v)) {}
  Json(const char* s) : t_(Type::kString), s_(s) {}
  Json(std::string s) : t_(Type::kString), s_(std::move(s)) {}

  static Json array() { Json j; j.t_ = Type::kArray; return j; }
  static Json object() { Json j; j.t_ = Type::kObject; return j; }

  Type type() const { return t_; }
  bool is_null() const { return t_ == Type::kNull; }
  bool is_number() const { return t_ == Type::kInt || t_ == Type::kDouble; }
  bool is_string() const { return t_ == Type::kString; }
  bool is_array() const { return t_ == Type::kArray; }
  bool is_object() const { return t_ == Type::kObject; }

  // Objects. operator[] inserts a null member when missing (a null value becomes an object).
  Json& operator[](const std::string& key);
  const Json& at(const std::string& key) const;  // throws lethe::Error naming the key
  const Json* find(const std::string& key) const;
  bool contains(const std::string& key) const { return find(key) != nullptr; }
  const std::vector<std::pair<std::string, Json>>& members() const;

  // Arrays (a null value becomes an array on push_back).
  Json& push_back(Json v);
  const Json& at(size_t i) const;
  const std::vector<Json>& elements() const;
  size_t size() const;  // members or elements; 0 for scalars

  bool as_bool() const;
  int64_t as_int() const;     // an integer, or a double with an integral value
  double as_double() const;   // any number; null reads as NaN (that is how NaN was written)
  const std::string& as_string() const;

  // indent < 0: one line. Otherwise pretty-printed with `indent` spaces per level.
  std::string dump(int indent = 2) const;
  static Json parse(const std::string& text, const std::string& path_for_errors = "<json>");

 private:
  void dump_to(std::string& out, int indent, int level) const;
  Type t_ = Type::kNull;
  bool b_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
  std::vector<Json> a_;
  std::vector<std::pair<std::string, Json>> o_;
  friend struct JsonParser;
};

Json read_json(const std::string& path);
// Atomic (io/atomic_file.h); ends with a newline.
void write_json(const std::string& path, const Json& j, int indent = 2);

}  // namespace lethe::io
