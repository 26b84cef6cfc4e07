// concat({"[", a, ",", b, "]"}): string building for tests without `"literal" + std::string`,
// which GCC 12 at -O2/-O3 reports as a false -Wrestrict overlap (GCC bug 105329) — and CI builds
// with -Werror.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace portcullis::test {

inline std::string concat(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (const auto part : parts) size += part.size();
  std::string out;
  out.reserve(size);
  for (const auto part : parts) out.append(part);
  return out;
}

}  // namespace portcullis::test
