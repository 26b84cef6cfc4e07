// Strict JSON: parse only text that every conforming JSON parser reads the same way.
//
// Refused (with a message saying what and at which byte offset): a byte-order mark, invalid
// UTF-8 anywhere, lone surrogates (`\ud800`), duplicate object keys at any depth (compared after
// unescaping, so `"a"` and `"\u0061"` collide), trailing data after the value, nesting deeper
// than `max_depth`, integers outside the 64-bit range (another parser would round them),
// numbers that overflow a double, and U+0000 anywhere in a string or key (a C upstream would
// truncate at it, so the policy would decide on a different string than the one executed).
// A NUL byte is refused wherever it appears (raw in a string it is an unescaped control
// character; after the value it is trailing data, not an end of input).
// Messages say what and, for syntax errors, at which byte offset ("... at byte 17"); duplicate
// keys are named by the key.
//
// Never throws. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "portcullis/common/result.hpp"

namespace portcullis::protocol {

[[nodiscard]] Result<nlohmann::json> parse_strict_json(std::string_view text,
                                                       std::uint32_t max_depth);

// Empties `value` bottom-up (children before the object or array holding them), leaving it an
// empty object or array, or the leaf it was. nlohmann's destructor frees a tree without
// recursion: it moves every child of an object or array onto a heap-allocated stack first,
// which costs one allocation and one move per node; a tree emptied this way first is freed
// node by node in place. Recursive: for trees no deeper than the parser's max_depth, as every
// tree built from a request or answer body is.
void release_json(nlohmann::json& value) noexcept;

}  // namespace portcullis::protocol
