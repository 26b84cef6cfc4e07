// Writes JCS (RFC 8785) text directly, for records whose shape we own: the caller emits members
// in canonical order and the writer checks it (a key out of order is a bug, caught by assert in
// debug builds and by the record tests, which compare with the generic canonicaliser). About
// 5x cheaper than building an nlohmann::json and canonicalising it, which matters because every
// gateway call builds one or two records. Private to the audit module.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/audit/jcs.hpp"

namespace portcullis::audit::detail {

// A member name with its JCS punctuation, `,"name":`, made at compile time from a string literal
// ("name"_key): writing a key is then one append of a constant, not three. Names must be ASCII
// without '"', '\\' or controls (so they need no escaping and byte order is JCS order); any
// other name does not compile.
template <std::size_t N>
struct KeyName {
  std::array<char, N + 3> text{};  // N counts the literal's NUL: ',' '"' name '"' ':'
  consteval KeyName(const char (&name)[N]) {  // NOLINT(google-explicit-constructor): literal
    text[0] = ',';
    text[1] = '"';
    for (std::size_t i = 0; i + 1 < N; ++i) {
      const auto c = static_cast<unsigned char>(name[i]);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) {
        throw "a member name must be plain ASCII";  // a compile error in a consteval context
      }
      text[2 + i] = name[i];
    }
    text[N + 1] = '"';
    text[N + 2] = ':';
  }
};

struct Key {
  std::string_view text;  // ,"name":
  [[nodiscard]] std::string_view name() const { return text.substr(2, text.size() - 4); }
};

template <KeyName K>
inline constexpr auto kKeyText = K.text;

template <KeyName K>
constexpr Key operator""_key() {
  return Key{std::string_view(kKeyText<K>.data(), kKeyText<K>.size())};
}

class CanonicalWriter {
 public:
  explicit CanonicalWriter(std::string& out) : out_(out) {}

  void begin_object() {
    value_prefix();
    out_.push_back('{');
    push(true);
  }
  void end_object() {
    --depth_;
    out_.push_back('}');
  }
  void begin_array() {
    value_prefix();
    out_.push_back('[');
    push(false);
  }
  void end_array() {
    --depth_;
    out_.push_back(']');
  }
  // Member names must come in JCS order (checked by assert in debug builds). This is the
  // writer's most frequent call: one append of the prepared `,"name":` (without the comma for
  // an object's first member).
  void key(Key k) {
    Frame& f = frames_[depth_ - 1];
    assert(f.object);
    assert(f.first || f.last_key < k.name());
#ifndef NDEBUG
    f.last_key = k.name();
#endif
    const std::string_view text = f.first ? k.text.substr(1) : k.text;
    f.first = false;
    out_.append(text.data(), text.size());
    after_key_ = true;
  }
  // Members that are already canonical text, `"a":1,"b":"x"` (no braces), written as they are:
  // runs of members that are the same in every record are rendered once (see
  // record_builder.cpp) instead of member by member.
  void members(std::string_view canonical) {
    Frame& f = frames_[depth_ - 1];
    assert(f.object && !after_key_ && !canonical.empty());
#ifndef NDEBUG
    f.last_key = checked_last_name(f, canonical);
#endif
    if (!f.first) {
      out_.push_back(',');
    }
    f.first = false;
    out_.append(canonical.data(), canonical.size());
  }
  void string(std::string_view value) {
    value_prefix();
    append_jcs_string(out_, value);
  }
  void integer(std::int64_t value) {
    value_prefix();
    append_jcs_integer(out_, value);
  }
  void unsigned_integer(std::uint64_t value) {
    value_prefix();
    append_jcs_unsigned(out_, value);
  }
  void boolean(bool value) {
    value_prefix();
    out_ += value ? "true" : "false";
  }
  void json(const nlohmann::json& value) {
    value_prefix();
    append_jcs(out_, value);
  }
  // A value that is already JCS text, copied as it is.
  void canonical(std::string_view text) {
    value_prefix();
    out_.append(text);
  }
  void strings(const std::vector<std::string>& values) {
    begin_array();
    for (const auto& v : values) {
      string(v);
    }
    end_array();
  }
  // Leaves the value out and returns where it goes (the writer fills it in later).
  std::size_t hole() {
    value_prefix();
    return out_.size();
  }

  // Shorthands for "key": value.
  void member(Key name, std::string_view value) {
    key(name);
    string(value);
  }
  void member(Key name, const char* value) { member(name, std::string_view(value)); }
  void member(Key name, std::int64_t value) {
    key(name);
    integer(value);
  }
  void member(Key name, int value) { member(name, static_cast<std::int64_t>(value)); }
  void member(Key name, std::uint64_t value) {
    key(name);
    unsigned_integer(value);
  }
  void member(Key name, bool value) {
    key(name);
    boolean(value);
  }

 private:
  // Records nest a few levels deep (the Cedar request is copied as text, not walked), so a fixed
  // stack does: no allocation per record.
  static constexpr std::size_t kMaxDepth = 16;
  struct Frame {
    bool object = false;
    bool first = true;
#ifndef NDEBUG
    std::string_view last_key;
#endif
  };
#ifndef NDEBUG
  // The top-level member names of `canonical` must be in order, after the object's last one;
  // returns the last of them.
  static std::string_view checked_last_name(const Frame& f, std::string_view canonical) {
    bool first = f.first;
    std::string_view last = f.last_key;
    int depth = 0;
    bool in_string = false;
    std::size_t string_start = 0;
    for (std::size_t i = 0; i < canonical.size(); ++i) {
      const char c = canonical[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
          const bool is_key = depth == 0 && i + 1 < canonical.size() && canonical[i + 1] == ':';
          if (is_key) {
            const std::string_view name = canonical.substr(string_start, i - string_start);
            assert(first || last < name);
            last = name;
            first = false;
          }
        }
      } else if (c == '"') {
        in_string = true;
        string_start = i + 1;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        --depth;
      }
    }
    return last;
  }
#endif
  void push(bool object) {
    assert(depth_ < kMaxDepth);
    frames_[depth_] = Frame{};
    frames_[depth_].object = object;
    ++depth_;
  }
  void value_prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ != 0) {
      Frame& f = frames_[depth_ - 1];
      if (!f.first) {
        out_.push_back(',');
      }
      f.first = false;
    }
  }

  std::string& out_;
  std::array<Frame, kMaxDepth> frames_{};
  std::size_t depth_ = 0;
  bool after_key_ = false;
};

}  // namespace portcullis::audit::detail
