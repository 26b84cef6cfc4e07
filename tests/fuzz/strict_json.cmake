# Strict JSON differential fuzz target: the hand-written protocol::parse_strict_json against
# the nlohmann SAX parser it replaced (kept in tests/unit/protocol/strict_json_reference.cpp).
portcullis_fuzz_target(strict_json_diff
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_strict_json_diff.cpp
          ${PROJECT_SOURCE_DIR}/tests/unit/protocol/strict_json_reference.cpp
  DEPS portcullis::protocol_core)
