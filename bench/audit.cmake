# Audit log benchmarks (bench/bench_audit.cpp): append throughput and latency, the raw
# write+fdatasync floor, and verify throughput. Run: build/<dir>/bench/bench_audit
add_executable(bench_audit ${CMAKE_CURRENT_LIST_DIR}/bench_audit.cpp)
target_link_libraries(bench_audit PRIVATE portcullis::audit portcullis::policy benchmark::benchmark)
portcullis_warnings(bench_audit)
if(PORTCULLIS_USES_JEMALLOC)
  # The allocator the gateway ships with (CMakeLists.txt): records are built on one thread and
  # freed on another, which glibc's malloc handles much worse.
  target_link_libraries(bench_audit PRIVATE "${PORTCULLIS_JEMALLOC_LIBRARY}")
endif()
