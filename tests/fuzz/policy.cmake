# Policy engine fuzz targets (owned by the policy module): the Cedar parser, the entity/JSON
# loader, and evaluation of parsed policies against parsed requests.
portcullis_fuzz_target(policy_parser SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_policy_parser.cpp
  DEPS portcullis::policy)
portcullis_fuzz_target(entities SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_entities.cpp
  DEPS portcullis::policy)
portcullis_fuzz_target(evaluator SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_evaluator.cpp
  DEPS portcullis::policy)
