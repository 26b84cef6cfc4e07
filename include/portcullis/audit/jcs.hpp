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

// A JSON string literal (with quotes) for UTF-8 `text`, JCS escaping: \" \\ \b \f \n \r \t,
// other controls as \u00xx, everything else as is.
void append_jcs_string(std::string& out, std::string_view text);

// A number in ECMAScript Number.prototype.toString form. Returns false for NaN/infinity.
bool append_jcs_number(std::string& out, double value);
void append_jcs_integer(std::string& out, std::int64_t value);
void append_jcs_unsigned(std::string& out, std::uint64_t value);

// True when `a` sorts before `b` comparing UTF-16 code units (both valid UTF-8).
bool utf16_less(std::string_view a, std::string_view b);

}  // namespace portcullis::audit
