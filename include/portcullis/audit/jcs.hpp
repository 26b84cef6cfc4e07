// RFC 8785 JSON Canonicalization Scheme (JCS): the exact bytes the audit chain hashes.
// Object members sorted by their names' UTF-16 code units, numbers in ECMAScript form
// (Number.prototype.toString), strings escaped minimally, no whitespace.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/common/jcs_text.hpp"

namespace portcullis::audit {

// Appends the canonical form of `value`. Non-finite numbers cannot occur in nlohmann values
// parsed from JSON; a NaN/infinity set programmatically is written as null (JCS forbids them,
// and the record builders never produce one).
void append_jcs(std::string& out, const nlohmann::json& value);
std::string jcs(const nlohmann::json& value);

// Like append_jcs, but each node in `holes` (compared by address) is left out of the output:
// its position is returned instead (offsets into `out`, in output order). The record builder
// uses this to canonicalise a record once on the caller's thread and let the writer splice in
// the chain fields it alone knows (sequence, attestation).
std::vector<std::size_t> append_jcs_with_holes(std::string& out, const nlohmann::json& value,
                                               std::span<const nlohmann::json* const> holes);

// The text primitives (strings, numbers, UTF-16 member order) live in common, shared with the
// policy module's Cedar-request writer.
using portcullis::append_jcs_integer;
using portcullis::append_jcs_number;
using portcullis::append_jcs_string;
using portcullis::append_jcs_unsigned;
using portcullis::needs_utf16_order;
using portcullis::utf16_less;

}  // namespace portcullis::audit
