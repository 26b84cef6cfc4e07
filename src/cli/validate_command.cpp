// `portcullis validate`: load policies (and entities), print every problem as
// file:line:column: message; exit 1 on any, else 0 with a one-line summary.
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/policy_source.hpp"
#include "cli/read_input.hpp"
#include "portcullis/config/config.hpp"
#include "portcullis/policy/api.hpp"
#include "portcullis/protocol/config_check.hpp"

namespace portcullis::cli {
namespace {

void print_problems(const Diagnostics& diagnostics) {
  for (const auto& d : diagnostics) std::cout << d.to_string() << "\n";
  std::cerr << "portcullis validate: " << diagnostics.size()
            << (diagnostics.size() == 1 ? " problem\n" : " problems\n");
}

// `validate --config`: the config file itself, then every file it names, by the same loading
// code `serve` uses at start-up and on reload. Warnings are printed but do not fail.
int validate_config(const std::string& path) {
  Diagnostics diagnostics;
  auto loaded = config::load_config(path, diagnostics);
  if (loaded) {
    for (const auto& w : (*loaded)->warnings) std::cerr << "warning: " << w.to_string() << "\n";
    (void)protocol::check_config_files(**loaded, diagnostics);
  }
  if (!diagnostics.empty() || !loaded) {
    if (diagnostics.empty()) diagnostics.push_back(Diagnostic{path, 0, 0, "cannot load"});
    print_problems(diagnostics);
    return 1;
  }
  std::cout << "ok: " << path << " (" << (*loaded)->listeners.size() << " listener(s), "
            << (*loaded)->routes.size() << " route(s))\n";
  return 0;
}

}  // namespace

void add_validate_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<PolicySource>();
  auto* cmd = app.add_subcommand("validate", "Load everything and report every problem");
  add_policy_source_options(*cmd, *options,
                            "The gateway's config file: checks it and everything it names "
                            "(policies, entities, certificates, keys)",
                            "A .cedar file or a directory of them");
  cmd->callback([options, &exit_code] {
    if (!options->config.empty()) {
      exit_code = validate_config(options->config);
      return;
    }
    if (options->policies.empty()) {
      std::cerr << "portcullis validate: give --config FILE or --policies PATH\n";
      exit_code = 2;
      return;
    }
    Diagnostics diagnostics;
    auto policies = policy::PolicySet::load(options->policies, diagnostics);
    std::shared_ptr<const policy::Entities> entities;
    if (!options->entities.empty()) {
      entities = load_entities_option(options->entities, &read_file, diagnostics);
    }
    if (!diagnostics.empty()) {
      print_problems(diagnostics);
      exit_code = 1;
      return;
    }
    std::cout << "ok: " << policies->size() << (policies->size() == 1 ? " policy" : " policies");
    if (entities) std::cout << ", " << entities->size() << " entities";
    std::cout << " (policy set " << policies->hash().substr(0, 12) << ")\n";
    exit_code = 0;
  });
}

}  // namespace portcullis::cli
