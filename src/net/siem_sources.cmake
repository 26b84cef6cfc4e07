# SIEM delivery (owned by siem), included from src/net/CMakeLists.txt: its own library, linked
# into net, so it builds while the rest of net is in progress.
find_package(PkgConfig REQUIRED)
pkg_check_modules(RELP REQUIRED IMPORTED_TARGET relp)
add_library(portcullis_siem STATIC
  ${CMAKE_CURRENT_LIST_DIR}/siem_syslog_format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siem_backoff.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siem_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siem_relp_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siem_syslog_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siem_sink_runner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siem_delivery.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siem_config.cpp)
add_library(portcullis::siem ALIAS portcullis_siem)
target_include_directories(portcullis_siem
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(portcullis_siem
  PUBLIC portcullis::common portcullis::audit portcullis::config
  PRIVATE PkgConfig::RELP OpenSSL::SSL OpenSSL::Crypto spdlog::spdlog
          nlohmann_json::nlohmann_json Threads::Threads)
portcullis_warnings(portcullis_siem)
target_link_libraries(portcullis_net INTERFACE portcullis_siem)
