// The map key of a pair of strings (agent and resource, agent and session) in the admin module's
// per-agent tables.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::admin::detail {

// `first`'s length, ':', `first`, `second`: the length prefix makes the key unambiguous, so no
// choice of bytes makes two different pairs collide (("ab", "c") and ("a", "bc") differ).
inline std::string pair_key(std::string_view first, std::string_view second) {
  std::string key = std::to_string(first.size());
  key += ':';
  key += first;
  key += second;
  return key;
}

}  // namespace portcullis::admin::detail
