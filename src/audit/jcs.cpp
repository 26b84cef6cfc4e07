#include "portcullis/audit/jcs.hpp"

#include <algorithm>

namespace portcullis::audit {

namespace {

using nlohmann::json;




class Writer {
 public:
  Writer(std::string& out, std::span<const json* const> holes) : out_(out), holes_(holes) {}

  void value(const json& v) {
    if (!holes_.empty()) {
      for (const json* h : holes_) {
        if (h == &v) {
          offsets_.push_back(out_.size());
          return;
        }
      }
    }
    switch (v.type()) {
      case json::value_t::null:
      case json::value_t::discarded:
        out_ += "null";
        return;
      case json::value_t::boolean:
        out_ += v.get<bool>() ? "true" : "false";
        return;
      case json::value_t::number_integer:
        append_jcs_integer(out_, v.get<std::int64_t>());
        return;
      case json::value_t::number_unsigned:
        append_jcs_unsigned(out_, v.get<std::uint64_t>());
        return;
      case json::value_t::number_float:
        if (!append_jcs_number(out_, v.get<double>())) {
          out_ += "null";
        }
        return;
      case json::value_t::string:
        append_jcs_string(out_, v.get_ref<const std::string&>());
        return;
      case json::value_t::binary:
        out_ += "null";
        return;
      case json::value_t::array: {
        out_.push_back('[');
        bool first = true;
        for (const auto& e : v) {
          if (!first) {
            out_.push_back(',');
          }
          first = false;
          value(e);
        }
        out_.push_back(']');
        return;
      }
      case json::value_t::object:
        object(v);
        return;
    }
  }

  std::vector<std::size_t> take_offsets() { return std::move(offsets_); }

 private:
  void object(const json& v) {
    // nlohmann keeps members in a std::map, i.e. in byte order, which is already UTF-16 order
    // unless a key holds characters from U+E000 up.
    const auto& obj = v.get_ref<const json::object_t&>();
    bool resort = false;
    for (const auto& [k, _] : obj) {
      if (needs_utf16_order(k)) {
        resort = true;
        break;
      }
    }
    out_.push_back('{');
    bool first = true;
    auto member = [&](const std::string& k, const json& m) {
      if (!first) {
        out_.push_back(',');
      }
      first = false;
      append_jcs_string(out_, k);
      out_.push_back(':');
      value(m);
    };
    if (!resort) {
      for (const auto& [k, m] : obj) {
        member(k, m);
      }
    } else {
      std::vector<const json::object_t::value_type*> sorted;
      sorted.reserve(obj.size());
      for (const auto& kv : obj) {
        sorted.push_back(&kv);
      }
      std::sort(sorted.begin(), sorted.end(),
                [](const auto* a, const auto* b) { return utf16_less(a->first, b->first); });
      for (const auto* kv : sorted) {
        member(kv->first, kv->second);
      }
    }
    out_.push_back('}');
  }

  std::string& out_;
  std::span<const json* const> holes_;
  std::vector<std::size_t> offsets_;
};

}  // namespace


namespace {


}  // namespace


void append_jcs(std::string& out, const nlohmann::json& value) {
  Writer w(out, {});
  w.value(value);
}

std::string jcs(const nlohmann::json& value) {
  std::string out;
  append_jcs(out, value);
  return out;
}

std::vector<std::size_t> append_jcs_with_holes(std::string& out, const nlohmann::json& value,
                                               std::span<const nlohmann::json* const> holes) {
  Writer w(out, holes);
  w.value(value);
  return w.take_offsets();
}

}  // namespace portcullis::audit
