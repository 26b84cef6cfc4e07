# Platform floor (bench/bench_platform.cpp): what a system call, an fstat, a page-cache append and
# a thread round trip cost on this machine, the floor under the gateway's per-request figures.
# Run: taskset -c 1 build/<dir>/bench/bench_platform --benchmark_min_time=0.5
add_executable(bench_platform ${CMAKE_CURRENT_LIST_DIR}/bench_platform.cpp)
target_link_libraries(bench_platform PRIVATE benchmark::benchmark Threads::Threads)
portcullis_warnings(bench_platform)
