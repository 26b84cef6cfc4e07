// Fuzz target: arbitrary bytes as an entities file (Cedar JSON entity format). Must never crash;
// a loaded store must round-trip every attribute through the Cedar JSON form.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "policy/entity_store.hpp"
#include "policy/value_node.hpp"
#include "portcullis/policy/entities.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace portcullis;
  Diagnostics diagnostics;
  auto entities = policy::Entities::from_json_text(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json", diagnostics);
  if (!entities) {
    if (diagnostics.empty()) __builtin_trap();
    return 0;
  }
  for (const auto& record : entities->impl().records) {
    auto back = policy::value_from_cedar_json(policy::value_to_cedar_json(record.attrs), 200);
    if (!back || policy::compare_values(*back, record.attrs) != 0) __builtin_trap();
  }
  return 0;
}
