// The reason phrase (RFC 9110 section 15) for the HTTP statuses the gateway and its admin API
// answer with: the "title" of their problem+json bodies, so both name a status alike.
#pragma once

#include <string_view>

namespace portcullis {

// "Error" for a status outside the list.
[[nodiscard]] constexpr std::string_view http_reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

}  // namespace portcullis
