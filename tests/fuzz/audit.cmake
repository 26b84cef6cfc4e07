# Audit verifier fuzzing: arbitrary bytes as an audit file (tests/fuzz/fuzz_audit_verify.cpp).
portcullis_fuzz_target(audit_verify
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_audit_verify.cpp
  DEPS portcullis::audit)
