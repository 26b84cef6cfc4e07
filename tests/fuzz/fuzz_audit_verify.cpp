// Fuzzes the audit verifier: the input is an audit file (lines split on '\n'; the bytes after
// the last newline are a torn last line). Every line goes through the strict JSON parser, the
// JCS writer, fingerprinting and the chain checks; any verdict is fine, a crash or sanitizer
// report is not. The first byte, when odd, selects --partial.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "portcullis/audit/verifier.hpp"

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
    verifier.feed_line(input.substr(0, nl), true);
    input.remove_prefix(nl + 1);
  }
  (void)verifier.finish();
  return 0;
}
