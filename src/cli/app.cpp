#include "portcullis/cli/app.hpp"

#include <exception>
#include <iostream>

#include "cli/commands.hpp"

namespace portcullis::cli {

int run(int argc, char** argv) {
  CLI::App app{"Portcullis: an inline authorization gateway for AI agent actions"};
  app.require_subcommand(1);
  app.set_version_flag("--version", PORTCULLIS_VERSION);
  int exit_code = 0;
  add_serve_command(app, exit_code);
  add_validate_command(app, exit_code);
  add_check_command(app, exit_code);
  add_audit_command(app, exit_code);
  add_keygen_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2 (unreadable input), help/version exit 0.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "portcullis: internal error: " << e.what() << "\n";
    return 3;
  }
  return exit_code;
}

}  // namespace portcullis::cli
