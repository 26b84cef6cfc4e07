// The command line: `portcullis <command> ...` (DESIGN.md "Command line").
#pragma once

namespace portcullis::cli {

// Parses argv, runs the command, returns the process exit code. Never throws.
int run(int argc, char** argv);

}  // namespace portcullis::cli
