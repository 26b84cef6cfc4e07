// Registration of each subcommand with the CLI11 app. Each command lives in its own file
// (<name>_command.cpp) and sets `exit_code` when it runs.
#pragma once

#include <CLI/CLI.hpp>

namespace portcullis::cli {

void add_validate_command(CLI::App& app, int& exit_code);  // validate_command.cpp
void add_check_command(CLI::App& app, int& exit_code);     // check_command.cpp
void add_audit_command(CLI::App& app, int& exit_code);     // audit_command.cpp
void add_keygen_command(CLI::App& app, int& exit_code);    // keygen_command.cpp
void add_serve_command(CLI::App& app, int& exit_code);     // serve_command.cpp

}  // namespace portcullis::cli
