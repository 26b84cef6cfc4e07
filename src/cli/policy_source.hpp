// The policy input that `check` and `validate` share: the gateway's config file (--config), or
// pure Cedar (--policies, with optional --entities); the two forms exclude each other.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "portcullis/common/diagnostic.hpp"
#include "portcullis/policy/entities.hpp"

namespace portcullis::cli {

// The three options' values; empty when not given.
struct PolicySource {
  std::string config;
  std::string policies;
  std::string entities;
};

// Adds --config, --policies and --entities to `cmd`, parsed into `source` (which must outlive
// the parse), with the rules between them: --config excludes the other two, --entities needs
// --policies.
inline void add_policy_source_options(CLI::App& cmd, PolicySource& source,
                                      const std::string& config_help,
                                      const std::string& policies_help) {
  auto* config_opt = cmd.add_option("--config", source.config, config_help);
  auto* policies_opt = cmd.add_option("--policies", source.policies, policies_help);
  auto* entities_opt =
      cmd.add_option("--entities", source.entities, "Entities in Cedar's JSON entity format");
  config_opt->excludes(policies_opt)->excludes(entities_opt);
  policies_opt->excludes(config_opt);
  entities_opt->excludes(config_opt)->needs(policies_opt);
}

// The entities of the --entities file at `path`, read by `read` (read_file, or read_input to
// also take "-" for standard input). Null with a diagnostic when the file cannot be read or is
// not valid.
inline std::shared_ptr<const policy::Entities> load_entities_option(
    const std::string& path, std::optional<std::string> (*read)(const std::string&),
    Diagnostics& diagnostics) {
  const auto text = read(path);
  if (!text) {
    diagnostics.push_back(Diagnostic{path, 0, 0, "cannot read the file"});
    return nullptr;
  }
  return policy::Entities::from_json_text(*text, path, diagnostics);
}

}  // namespace portcullis::cli
