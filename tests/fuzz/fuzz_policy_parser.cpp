// Fuzz target: arbitrary bytes as a .cedar file. Must never crash, hang or leak; a parsed set
// must answer ids() and annotation() consistently.
#include <cstddef>
#include <cstdint>
#include <string>

#include "portcullis/policy/policy_set.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace portcullis;
  policy::PolicySource source{"fuzz.cedar", std::string(reinterpret_cast<const char*>(data), size)};
  Diagnostics diagnostics;
  auto set = policy::PolicySet::parse({source}, diagnostics);
  if (set) {
    for (const auto& id : set->ids()) {
      (void)set->annotation(id, "reason");
    }
    if (set->hash().size() != 64) __builtin_trap();
  } else if (diagnostics.empty()) {
    __builtin_trap();  // a refused set must say why
  }
  return 0;
}
