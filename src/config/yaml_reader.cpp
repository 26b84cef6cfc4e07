#include "config/yaml_reader.hpp"

#include <charconv>

namespace portcullis::config::detail {
namespace {

std::uint32_t one_based(int zero_based) {
  return zero_based < 0 ? 0 : static_cast<std::uint32_t>(zero_based) + 1;
}

template <typename T>
bool parse_integer(const std::string& text, T& out) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first != last && *first == '+') {
    ++first;  // YAML allows an explicit '+'; from_chars does not
  }
  auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && ptr == last && first != last;
}

}  // namespace

Diagnostic YamlReader::make(const YAML::Mark& mark, std::string message) const {
  Diagnostic d;
  d.file = file_;
  if (!mark.is_null()) {
    d.line = one_based(mark.line);
    d.column = one_based(mark.column);
  }
  d.message = std::move(message);
  return d;
}

void YamlReader::error(const YAML::Mark& mark, std::string message) {
  diagnostics_.push_back(make(mark, std::move(message)));
  ++errors_;
}

void YamlReader::remember(const std::string& path, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (!mark.is_null()) {
    positions_[path] = SourcePosition{one_based(mark.line), one_based(mark.column)};
  }
}

Section::Section(YamlReader& reader, const YAML::Node& node, std::string path,
                 std::initializer_list<std::string_view> allowed_keys)
    : reader_(reader), path_(std::move(path)), mark_(node.Mark()) {
  if (!node.IsMap()) {
    reader_.error(node, (path_.empty() ? std::string("the document") : path_) +
                            " must be a mapping (key: value)");
    return;
  }
  valid_ = true;
  reader_.remember(path_, node);
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      reader_.error(key, (path_.empty() ? std::string("a") : path_ + ": a") +
                             " key must be a plain string");
      continue;
    }
    const std::string& name = key.Scalar();
    bool known = false;
    for (std::string_view allowed : allowed_keys) {
      known = known || allowed == name;
    }
    if (!known) {
      std::string list;
      for (std::string_view allowed : allowed_keys) {
        list += (list.empty() ? "" : ", ") + std::string(allowed);
      }
      reader_.error(key, "unknown field '" + child(name) + "' (allowed here: " + list + ")");
      continue;
    }
    if (find(name) != nullptr) {
      reader_.error(key, "duplicate field '" + child(name) + "'");
      continue;
    }
    entries_.emplace_back(name, it->second);
    reader_.remember(child(name), it->second);
  }
}

std::string Section::child(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const YAML::Node* Section::find(std::string_view key) const {
  for (const auto& entry : entries_) {
    if (entry.first == key) {
      return &entry.second;
    }
  }
  return nullptr;
}

bool Section::require(std::string_view key) {
  if (!valid_ || has(key)) {
    return true;
  }
  reader_.error(mark_, "missing required field '" + child(key) + "'");
  return false;
}

std::optional<std::string> Section::scalar(std::string_view key) {
  const YAML::Node* node = find(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  if (node->IsNull()) {
    reader_.error(*node, child(key) + " needs a value");
    return std::nullopt;
  }
  if (!node->IsScalar()) {
    reader_.error(*node, child(key) + " must be a single value, not a list or mapping");
    return std::nullopt;
  }
  return node->Scalar();
}

bool Section::string(std::string_view key, std::string& out) {
  auto text = scalar(key);
  if (!text) {
    return false;
  }
  out = std::move(*text);
  return true;
}

bool Section::boolean(std::string_view key, bool& out) {
  auto text = scalar(key);
  if (!text) {
    return false;
  }
  // YAML 1.2 core schema only: yes/no/on/off are strings there, and reading them as booleans
  // is a classic surprise.
  if (*text == "true") {
    out = true;
    return true;
  }
  if (*text == "false") {
    out = false;
    return true;
  }
  reader_.error(*find(key), child(key) + ": '" + *text + "' is not a boolean (true or false)");
  return false;
}

template <typename T>
bool Section::integer_in_range(std::string_view key, T& out, T min, T max) {
  auto text = scalar(key);
  if (!text) {
    return false;
  }
  T value = 0;
  if (!parse_integer(*text, value) || value < min || value > max) {
    reader_.error(*find(key), child(key) + ": '" + *text + "' must be an integer from " +
                                  std::to_string(min) + " to " + std::to_string(max));
    return false;
  }
  out = value;
  return true;
}

template <typename T, typename Parse, typename DescribeRange>
bool Section::parsed_in_range(std::string_view key, T& out, T min, T max, Parse parse,
                              DescribeRange describe_range) {
  auto text = scalar(key);
  if (!text) {
    return false;
  }
  auto value = parse(*text);
  if (!value) {
    reader_.error(*find(key), child(key) + ": " + value.error().message);
    return false;
  }
  if (*value < min || *value > max) {
    reader_.error(*find(key), child(key) + ": " + *text + " must be from " + describe_range());
    return false;
  }
  out = *value;
  return true;
}

bool Section::int64(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max) {
  return integer_in_range(key, out, min, max);
}

bool Section::uint64(std::string_view key, std::uint64_t& out, std::uint64_t min,
                     std::uint64_t max) {
  return integer_in_range(key, out, min, max);
}

bool Section::uint32(std::string_view key, std::uint32_t& out, std::uint32_t min,
                     std::uint32_t max) {
  std::uint64_t value = 0;
  if (!uint64(key, value, min, max)) {
    return false;
  }
  out = static_cast<std::uint32_t>(value);
  return true;
}

bool Section::byte_size(std::string_view key, std::uint64_t& out, std::uint64_t min,
                        std::uint64_t max) {
  return parsed_in_range(key, out, min, max, parse_byte_size, [&] {
    return std::to_string(min) + " to " + std::to_string(max) + " bytes";
  });
}

bool Section::duration(std::string_view key, std::chrono::milliseconds& out,
                       std::chrono::milliseconds min, std::chrono::milliseconds max) {
  return parsed_in_range(key, out, min, max, parse_duration, [&] {
    return std::to_string(min.count()) + "ms to " + std::to_string(max.count()) + "ms";
  });
}

bool Section::seconds(std::string_view key, std::chrono::seconds& out, std::chrono::seconds min,
                      std::chrono::seconds max) {
  std::chrono::milliseconds value{};
  if (!duration(key, value, min, max)) {
    return false;
  }
  if (value.count() % 1000 != 0) {
    reader_.error(*find(key), child(key) + " must be a whole number of seconds");
    return false;
  }
  out = std::chrono::duration_cast<std::chrono::seconds>(value);
  return true;
}

bool Section::path(std::string_view key, std::filesystem::path& out) {
  std::string text;
  if (!string(key, text)) {
    return false;
  }
  if (text.empty()) {
    reader_.error(*find(key), child(key) + " must not be empty");
    return false;
  }
  std::filesystem::path p(text);
  out = (p.is_absolute() ? p : reader_.base_dir() / p).lexically_normal();
  return true;
}

bool Section::string_list(std::string_view key, std::vector<std::string>& out) {
  const YAML::Node* node = find(key);
  if (node == nullptr) {
    return false;
  }
  if (!node->IsSequence()) {
    reader_.error(*node, child(key) + " must be a list of strings");
    return false;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (std::size_t i = 0; i < node->size(); ++i) {
    const YAML::Node item = (*node)[i];
    if (!item.IsScalar()) {
      reader_.error(item, child(key) + "[" + std::to_string(i) + "] must be a string");
      ok = false;
      continue;
    }
    values.push_back(item.Scalar());
  }
  if (ok) {
    out = std::move(values);
  }
  return ok;
}

}  // namespace portcullis::config::detail
