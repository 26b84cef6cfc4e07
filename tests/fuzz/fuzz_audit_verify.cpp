// Fuzzes the audit verifier: the input is an audit file (lines split on '\n'; the bytes after
// the last newline are a torn last line). Every line goes through the strict JSON parser, the
// JCS writer, fingerprinting and the chain checks; any verdict is fine, a crash or sanitizer
// report is not. The first byte, when odd, selects --partial.
//
// Differentially, per complete line: when the parser calls a text canonical (the verifier then
// hashes the line in place instead of writing its canonical form), the writer must reproduce it
// byte for byte, and the slices around a member must equal the written form without it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "audit/json_tape.hpp"
#include "portcullis/audit/verifier.hpp"

namespace {

void check_canonical_shortcut(std::string_view line) {
  using portcullis::audit::detail::JsonTape;
  JsonTape tape;
  if (!tape.parse(line) || !tape.is_canonical()) {
    return;
  }
  std::string written;
  if (!tape.write_canonical(written) || written != line) {
    std::abort();  // called canonical, but it is not its own JCS form
  }
  // Leave out the first member of the first object found (the top level, or its first
  // element/member when that is an object), as the verifier leaves out the fingerprint.
  for (std::uint32_t obj : {0u, 1u}) {
    if (obj >= tape.size() || tape.node(obj).type != portcullis::audit::detail::NodeType::Object ||
        tape.node(obj).count == 0) {
      continue;
    }
    const std::uint32_t value = obj + 2;  // the first member's name is obj + 1
    std::string_view head;
    std::string_view tail;
    std::string without;
    if (tape.canonical_without(value, head, tail) &&
        (!tape.write_canonical(without, value) ||
         without != std::string(head) + std::string(tail))) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  portcullis::audit::VerifyOptions options;
  options.partial = !input.empty() && (static_cast<unsigned char>(input.front()) & 1u) != 0;
  portcullis::audit::ChainVerifier verifier(options);
  verifier.begin_file("fuzz.jsonl");
  while (!input.empty()) {
    const std::size_t nl = input.find('\n');
    if (nl == std::string_view::npos) {
      verifier.feed_line(input, false);
      break;
    }
    check_canonical_shortcut(input.substr(0, nl));
    verifier.feed_line(input.substr(0, nl), true);
    input.remove_prefix(nl + 1);
  }
  (void)verifier.finish();
  return 0;
}
