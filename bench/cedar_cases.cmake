# The engine side of bench/compare_cedar.sh in process (the same cases as cedar-wasm, decided in
# a loop): build/release/bench/bench_cedar_cases POLICIES ENTITIES REQUESTS.jsonl [SECONDS]
add_executable(bench_cedar_cases ${CMAKE_CURRENT_LIST_DIR}/bench_cedar_cases.cpp)
target_link_libraries(bench_cedar_cases PRIVATE portcullis::policy nlohmann_json::nlohmann_json)
portcullis_warnings(bench_cedar_cases)
