# Fuzz targets of the net module: the request head checks and Beast's parser, fed the way the
# gateway reads a request (through beast::test::stream, never a socket).
portcullis_fuzz_target(http_request
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_http_request.cpp
  DEPS portcullis::net)
