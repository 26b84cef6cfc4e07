# Policy engine benchmark: decision latency (p50/p99) and throughput at 10..10,000 realistic
# agent policies, and parse time of 10,000 policies. Run a Release build:
#   build/release/bench/bench_policy  (see docs/performance.md "Policy engine")
add_executable(bench_policy ${CMAKE_CURRENT_LIST_DIR}/bench_policy.cpp)
target_include_directories(bench_policy PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(bench_policy PRIVATE portcullis::policy benchmark::benchmark)
portcullis_warnings(bench_policy)
