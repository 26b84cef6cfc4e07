# Strict JSON parse benchmark (bench/bench_protocol.cpp): protocol::parse_strict_json beside the
# nlohmann SAX parser it replaced (the test reference), on the gateway's 621-byte MCP body and
# larger ones. Run a Release build: build/<dir>/bench/bench_protocol
add_executable(bench_protocol ${CMAKE_CURRENT_LIST_DIR}/bench_protocol.cpp
               ${PROJECT_SOURCE_DIR}/tests/unit/protocol/strict_json_reference.cpp)
target_include_directories(bench_protocol PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(bench_protocol PRIVATE portcullis::protocol_core benchmark::benchmark)
portcullis_warnings(bench_protocol)
