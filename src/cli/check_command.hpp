// The seam between `portcullis check`'s input forms and its decision loop. Both the
// `--policies` form (pure Cedar) and the later `--config` form (gateway additions and
// `policy_errors`, configured in the Authorizer's options) build an Authorizer and call
// run_check, so an operator's test gives exactly the answer `serve` would.
#pragma once

#include <iosfwd>

#include "portcullis/policy/authorizer.hpp"

namespace portcullis::cli {

enum class CheckInput { Single, Batch };

// Decides the request(s) read from `in` and writes one JSON object per request, one per line,
// to `out`: {"decision":"allow"|"deny","reasons":[..],"errors":[..],"diagnostics":[..]} (plus
// "would_deny"/"labels" when non-empty). Batch: one request per input line, one output line
// per input line in order; an unreadable line is answered with a deny carrying the problem and
// reported on `err` as "line N: ...". Returns 0 when every request was decided, 2 otherwise.
int run_check(const policy::Authorizer& authorizer, std::istream& in, CheckInput mode,
              std::ostream& out, std::ostream& err);

}  // namespace portcullis::cli
