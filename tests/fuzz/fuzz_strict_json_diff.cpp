// Fuzz target: protocol::parse_strict_json (hand-written, issue 5) against the nlohmann SAX
// parser it replaced (tests/unit/protocol/strict_json_reference.cpp). Both must give the same
// verdict and the same DOM (number types and double bits included); the one known difference is
// a NUL byte, which the new parser must always refuse (the old one read it as end of input).
// An accepted document must also survive dump() -> parse -> dump() unchanged, and
// release_json must empty it.
// Input layout: byte 0 chooses the depth limit (1..64); the rest is the JSON text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "portcullis/protocol/strict_json.hpp"
#include "unit/protocol/strict_json_reference.hpp"

namespace {

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz_strict_json_diff: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using portcullis::protocol::parse_strict_json;
  namespace reference = portcullis::protocol::reference;
  if (size == 0) {
    return 0;
  }
  const std::uint32_t max_depth = 1 + data[0] % 64;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto now = parse_strict_json(text, max_depth);
  if (text.find('\0') != std::string_view::npos) {
    check(!now, "a NUL byte was accepted");
    return 0;
  }
  const auto before = reference::parse_strict_json_sax(text, max_depth);
  check(now.has_value() == before.has_value(), "verdicts differ");
  if (!now) {
    check(now.error().message.rfind("invalid JSON: ", 0) == 0 ||
              now.error().message == "JSON text starts with a byte-order mark",
          "unexpected message shape");
    return 0;
  }
  check(reference::same_dom(*now, *before), "DOMs differ");
  // Compared as text: "-0" is a signed integer zero that dump() writes as "0", which reads back
  // as an unsigned zero.
  const std::string text_out = now->dump();
  const auto again = parse_strict_json(text_out, max_depth);
  check(again && again->dump() == text_out, "dump() does not read back the same");
  // release_json (how the gateway frees its documents) leaves a leaf as it was and a container
  // empty, and the tree is then freed normally (ASan checks every node is freed once).
  nlohmann::json released = std::move(*again);
  portcullis::protocol::release_json(released);
  check(released.is_structured() ? released.empty() : released.dump() == text_out,
        "release_json did not empty the tree");
  return 0;
}
