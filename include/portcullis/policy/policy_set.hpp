// A parsed, validated, indexed set of Cedar policies, loaded from text or a directory of files.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/common/diagnostic.hpp"

namespace portcullis::policy {

// Bounds on untrusted policy text and on evaluation (every one a clear error when exceeded).
struct Limits {
  std::size_t max_file_bytes = 8 * 1024 * 1024;  // one .cedar file
  int max_nesting_depth = 128;                    // expression nesting in policy text
  std::size_t max_policies = 100000;              // in one set
  std::size_t max_like_pattern_bytes = 4096;      // a `like` pattern
  std::size_t max_collection_elements = 10000;    // one set or record literal in policy text
};

struct PolicySource {
  std::string file;  // for diagnostics and ids; "" for text not from a file
  std::string text;
};

class PolicySet {
 public:
  ~PolicySet();

  // Parses every source in order (policy<N> ids count across all of them) and validates
  // (duplicate @id, unknown extension functions, limits). Every problem goes to `diagnostics`
  // as file:line:column; returns nullptr if there was any.
  static std::shared_ptr<const PolicySet> parse(const std::vector<PolicySource>& sources,
                                                Diagnostics& diagnostics,
                                                const Limits& limits = {});
  // Every `*.cedar` file in `path` (lexical order), or `path` itself if it is a file.
  static std::shared_ptr<const PolicySet> load(const std::filesystem::path& path,
                                               Diagnostics& diagnostics,
                                               const Limits& limits = {});

  [[nodiscard]] std::size_t size() const;
  // Lowercase hex SHA-256 over the sources (file names and texts): the policy-set version.
  [[nodiscard]] const std::string& hash() const;
  // The value of annotation `key` on policy `policy_id` (e.g. "reason", "label", "mode");
  // nullopt if the policy or the annotation does not exist; "" for a bare `@key`.
  [[nodiscard]] std::optional<std::string> annotation(std::string_view policy_id,
                                                      std::string_view key) const;
  // Ids of every policy, in set order.
  [[nodiscard]] std::vector<std::string> ids() const;

  struct Impl;
  [[nodiscard]] const Impl& impl() const { return *impl_; }
  explicit PolicySet(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis::policy
