// YamlReader / Section: typed, position-aware reading of yaml-cpp nodes that collects every
// problem as a Diagnostic instead of throwing. Private to the config module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "portcullis/common/diagnostic.hpp"
#include "portcullis/config/config.hpp"

namespace portcullis::config::detail {

class YamlReader {
 public:
  YamlReader(std::string file, std::filesystem::path base_dir, Diagnostics& diagnostics,
             std::map<std::string, SourcePosition, std::less<>>& positions)
      : file_(std::move(file)),
        base_dir_(std::move(base_dir)),
        diagnostics_(diagnostics),
        positions_(positions) {}

  void error(const YAML::Mark& mark, std::string message);
  void error(const YAML::Node& node, std::string message) { error(node.Mark(), std::move(message)); }
  [[nodiscard]] Diagnostic make(const YAML::Mark& mark, std::string message) const;
  void add(Diagnostic diagnostic) {
    diagnostics_.push_back(std::move(diagnostic));
    ++errors_;
  }
  void remember(const std::string& path, const YAML::Node& node);
  [[nodiscard]] std::size_t error_count() const { return errors_; }
  [[nodiscard]] const std::filesystem::path& base_dir() const { return base_dir_; }
  [[nodiscard]] const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::filesystem::path base_dir_;
  Diagnostics& diagnostics_;
  std::map<std::string, SourcePosition, std::less<>>& positions_;
  std::size_t errors_ = 0;
};

// One YAML mapping with a fixed set of allowed keys. Constructing it reports a non-mapping,
// unknown keys and duplicate keys; the typed readers report type and range errors. Each reader
// returns true when the key was present and valid (and then `out` was set).
class Section {
 public:
  Section(YamlReader& reader, const YAML::Node& node, std::string path,
          std::initializer_list<std::string_view> allowed_keys);

  [[nodiscard]] bool valid() const { return valid_; }
  [[nodiscard]] const YAML::Mark& mark() const { return mark_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string child(std::string_view key) const;
  [[nodiscard]] bool has(std::string_view key) const { return find(key) != nullptr; }
  // The node for `key`, or nullptr.
  [[nodiscard]] const YAML::Node* find(std::string_view key) const;
  // Reports "missing required field" at the mapping's position when `key` is absent.
  bool require(std::string_view key);

  bool string(std::string_view key, std::string& out);
  bool boolean(std::string_view key, bool& out);
  bool int64(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max);
  bool uint32(std::string_view key, std::uint32_t& out, std::uint32_t min, std::uint32_t max);
  bool uint64(std::string_view key, std::uint64_t& out, std::uint64_t min, std::uint64_t max);
  bool byte_size(std::string_view key, std::uint64_t& out, std::uint64_t min, std::uint64_t max);
  bool duration(std::string_view key, std::chrono::milliseconds& out,
                std::chrono::milliseconds min, std::chrono::milliseconds max);
  bool seconds(std::string_view key, std::chrono::seconds& out, std::chrono::seconds min,
               std::chrono::seconds max);
  // A path: relative ones resolve against the config file's folder.
  bool path(std::string_view key, std::filesystem::path& out);
  bool string_list(std::string_view key, std::vector<std::string>& out);

  template <typename E>
  bool enumeration(std::string_view key, E& out,
                   std::initializer_list<std::pair<std::string_view, E>> names) {
    std::string text;
    if (!string(key, text)) {
      return false;
    }
    for (const auto& [name, value] : names) {
      if (text == name) {
        out = value;
        return true;
      }
    }
    std::string allowed;
    for (const auto& entry : names) {
      allowed += (allowed.empty() ? "" : " | ") + std::string(entry.first);
    }
    reader_.error(*find(key), child(key) + ": '" + text + "' is not one of " + allowed);
    return false;
  }

  [[nodiscard]] YamlReader& reader() { return reader_; }

 private:
  // The scalar text of `key`, reporting a non-scalar; nullopt when absent or invalid.
  std::optional<std::string> scalar(std::string_view key);
  // int64/uint64: an integer scalar in [min, max].
  template <typename T>
  bool integer_in_range(std::string_view key, T& out, T min, T max);
  // byte_size/duration: the scalar through `parse` (text -> Result<T>), then in [min, max];
  // `describe_range()` words the bounds for the error.
  template <typename T, typename Parse, typename DescribeRange>
  bool parsed_in_range(std::string_view key, T& out, T min, T max, Parse parse,
                       DescribeRange describe_range);

  YamlReader& reader_;
  std::string path_;
  YAML::Mark mark_;
  bool valid_ = false;
  std::vector<std::pair<std::string, YAML::Node>> entries_;
};

}  // namespace portcullis::config::detail
