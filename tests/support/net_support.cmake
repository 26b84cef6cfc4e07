# Test doubles and fixtures for the gateway (net) tests: generated PKI, fake upstream, fake audit
# log, TLS client, in-process gateway fixture. Included by every test folder that needs them.
include_guard(GLOBAL)
add_library(portcullis_net_test_support STATIC
  ${CMAKE_CURRENT_LIST_DIR}/test_pki.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_audit_log.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_upstream.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tls_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gateway_fixture.cpp)
target_include_directories(portcullis_net_test_support PUBLIC ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(portcullis_net_test_support PUBLIC portcullis::net portcullis::config)
portcullis_warnings(portcullis_net_test_support)
