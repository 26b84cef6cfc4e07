// `portcullis validate`: load policies (and entities), print every problem as
// file:line:column: message; exit 1 on any, else 0 with a one-line summary.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "portcullis/policy/api.hpp"

namespace portcullis::cli {

void add_validate_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string policies;
    std::string entities;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("validate", "Load policies and entities and report every problem");
  cmd->add_option("--policies", options->policies, "A .cedar file or a directory of them")
      ->required();
  cmd->add_option("--entities", options->entities, "Entities in Cedar's JSON entity format");
  cmd->callback([options, &exit_code] {
    Diagnostics diagnostics;
    auto policies = policy::PolicySet::load(options->policies, diagnostics);
    std::shared_ptr<const policy::Entities> entities;
    if (!options->entities.empty()) {
      std::ifstream in(options->entities, std::ios::binary);
      if (!in) {
        diagnostics.push_back(Diagnostic{options->entities, 0, 0, "cannot read the file"});
      } else {
        std::ostringstream text;
        text << in.rdbuf();
        entities = policy::Entities::from_json_text(text.str(), options->entities, diagnostics);
      }
    }
    if (!diagnostics.empty()) {
      for (const auto& d : diagnostics) std::cout << d.to_string() << "\n";
      std::cerr << "portcullis validate: " << diagnostics.size()
                << (diagnostics.size() == 1 ? " problem\n" : " problems\n");
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
