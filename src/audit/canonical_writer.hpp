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
  // Member names must come in JCS order and need no escaping; ours are ASCII literals, where
  // JCS order is byte order. Written as they are (no escape scan): this is the writer's most
  // frequent call.
  void key(std::string_view name) {
    Frame& f = frames_[depth_ - 1];
    assert(f.object);
    assert(f.first || f.last_key < name);
    assert(std::none_of(name.begin(), name.end(), [](char c) {
      return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ||
             static_cast<unsigned char>(c) >= 0x80;
    }));
#ifndef NDEBUG
    f.last_key = name;
#endif
    out_.append(f.first ? "\"" : ",\"", f.first ? 1 : 2);
    f.first = false;
    out_.append(name);
    out_.append("\":", 2);
    after_key_ = true;
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
  void member(std::string_view name, std::string_view value) {
    key(name);
    string(value);
  }
  void member(std::string_view name, const char* value) { member(name, std::string_view(value)); }
  void member(std::string_view name, std::int64_t value) {
    key(name);
    integer(value);
  }
  void member(std::string_view name, int value) { member(name, static_cast<std::int64_t>(value)); }
  void member(std::string_view name, std::uint64_t value) {
    key(name);
    unsigned_integer(value);
  }
  void member(std::string_view name, bool value) {
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
