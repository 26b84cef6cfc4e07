// Result<T> and Error: how fallible functions report failure without exceptions (hot path).
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace portcullis {

// What went wrong, for a person: `message` says what and where ("line 3: ...").
struct Error {
  std::string message;

  Error() = default;
  explicit Error(std::string msg) : message(std::move(msg)) {}
};

template <typename T>
using Result = tl::expected<T, Error>;

// Shorthand for `return fail("...")` in functions returning Result<T>.
inline tl::unexpected<Error> fail(std::string message) {
  return tl::unexpected<Error>(Error(std::move(message)));
}

}  // namespace portcullis
