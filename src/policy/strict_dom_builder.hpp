// A SAX handler for nlohmann::json::sax_parse that builds the same DOM as nlohmann's own parser
// while enforcing what Cedar's JSON formats need and nlohmann does not check: no duplicate key in
// an object (nlohmann would let the later one win silently) and a bounded nesting depth.
//
// It exists for speed: nlohmann's callback parser (parser_callback_t) costs a std::function call
// per event and needed a std::set of every key per open container to find duplicates; here the
// duplicate check is a lookup in the object being built, and nothing else is allocated.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace portcullis::policy {

class StrictDomBuilder {
 public:
  using json = nlohmann::json;

  StrictDomBuilder(json& root, int max_depth) : root_(root), max_depth_(max_depth) {}

  // Why parsing stopped when a check of ours (not a syntax error) failed; empty otherwise.
  [[nodiscard]] const std::string& problem() const { return problem_; }

  // nlohmann's SAX interface (nlohmann/detail/input/json_sax.hpp).
  bool null() { return put(nullptr); }
  bool boolean(bool value) { return put(value); }
  bool number_integer(json::number_integer_t value) { return put(value); }
  bool number_unsigned(json::number_unsigned_t value) { return put(value); }
  bool number_float(json::number_float_t value, const json::string_t& /*text*/) {
    return put(value);
  }
  bool string(json::string_t& value) { return put(std::move(value)); }
  bool binary(json::binary_t& value) { return put(std::move(value)); }

  bool start_object(std::size_t /*size*/) { return open(json::value_t::object); }
  bool start_array(std::size_t /*size*/) { return open(json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& name) {
    json& object = *stack_.back();
    auto [slot, inserted] = object.get_ref<json::object_t&>().try_emplace(std::move(name));
    if (!inserted) {
      problem_ = "duplicate key \"" + slot->first + "\" in a JSON object";
      return false;
    }
    pending_key_ = &slot->second;
    return true;
  }

  template <typename Exception>
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const Exception& error) {
    throw error;  // as nlohmann's own DOM parser does with allow_exceptions
  }

 private:
  // Places a value where the grammar says it goes; returns where it landed.
  template <typename Value>
  json* place(Value&& value) {
    if (stack_.empty()) {
      root_ = json(std::forward<Value>(value));
      return &root_;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      auto& array = parent.get_ref<json::array_t&>();
      array.emplace_back(std::forward<Value>(value));
      return &array.back();
    }
    *pending_key_ = json(std::forward<Value>(value));
    return pending_key_;
  }

  template <typename Value>
  bool put(Value&& value) {
    place(std::forward<Value>(value));
    return true;
  }

  bool open(json::value_t type) {
    if (static_cast<int>(stack_.size()) >= max_depth_) {
      problem_ = "JSON nested deeper than " + std::to_string(max_depth_) + " levels";
      return false;
    }
    stack_.push_back(place(json(type)));
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  json& root_;
  int max_depth_;
  std::vector<json*> stack_;
  json* pending_key_ = nullptr;
  std::string problem_;
};

}  // namespace portcullis::policy
