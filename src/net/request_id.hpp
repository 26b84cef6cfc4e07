// Request ids: the gateway's id for one HTTP exchange (X-Request-Id, audit, answers).
#pragma once

#include <string>

namespace portcullis::net {

// 32 lowercase hex characters, 16 bytes from OpenSSL's CSPRNG; unique per process
// with overwhelming probability, never derived from client input.
[[nodiscard]] std::string make_request_id();

}  // namespace portcullis::net
