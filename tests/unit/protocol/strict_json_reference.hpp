// The reference for protocol::parse_strict_json: the implementation it replaced (nlohmann's SAX
// parser behind a strictness filter), kept unchanged so the differential test and fuzz target
// can require the same verdict and the same DOM from both. Test-only; not linked into the
// gateway.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "portcullis/common/result.hpp"

namespace portcullis::protocol::reference {

// The previous parse_strict_json, verbatim (messages included). One known difference: it
// reads a NUL byte after the value as the end of the input and accepts `{}` + NUL + anything;
// the new parser refuses every NUL byte.
[[nodiscard]] Result<nlohmann::json> parse_strict_json_sax(std::string_view text,
                                                           std::uint32_t max_depth);

// True when `a` and `b` are the same DOM down to the number types (integer, unsigned, float)
// and the bits of every double (nlohmann's == reads 1 == 1u == 1.0 and 0.0 == -0.0).
[[nodiscard]] bool same_dom(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace portcullis::protocol::reference
