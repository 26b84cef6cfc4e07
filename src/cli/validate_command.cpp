// PLACEHOLDER until its module lands: the command exists and says it is not available yet.
#include <iostream>

#include "cli/commands.hpp"

namespace portcullis::cli {

void add_validate_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("validate", "(not available in this build yet)");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    std::cerr << "portcullis validate: not available in this build yet\n";
    exit_code = 2;
  });
}

}  // namespace portcullis::cli
