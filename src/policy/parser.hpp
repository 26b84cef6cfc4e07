// Cedar parser: tokens → Policy ASTs. Every problem becomes a Diagnostic with file:line:column;
// after an error the parser skips to the next `;` so one run reports every broken policy.
// Recursion is bounded by ParseOptions::max_depth (deep input is an error, never a crash).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/ast.hpp"
#include "portcullis/common/diagnostic.hpp"
#include "portcullis/common/result.hpp"

namespace portcullis::policy {

struct ParseOptions {
  std::string file;
  int max_depth = 128;
  std::size_t max_like_pattern_bytes = 4096;
  std::size_t max_collection_elements = 10000;  // set/record literal members, argument lists
};

// Appends the policies of `text` to `out` (ids are not set here) and problems to `diagnostics`.
void parse_policies(std::string_view text, const ParseOptions& options, std::vector<Policy>& out,
                    Diagnostics& diagnostics);

// One expression (for tests and tools); the error message is "line:column: message".
Result<std::unique_ptr<Expr>> parse_expression(std::string_view text,
                                               const ParseOptions& options = {});

// Decodes a Cedar string literal body (escapes as Cedar defines them); nullopt + error if bad.
bool unescape_cedar_string(std::string_view raw, std::string& out, std::string& error);

}  // namespace portcullis::policy
