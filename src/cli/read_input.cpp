#include "cli/read_input.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

namespace portcullis::cli {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  return read_stream(in);
}

std::string read_stream(std::istream& in) {
  std::ostringstream text;
  // operator<< on an empty streambuf sets failbit on `text`; the result is still "" then.
  text << in.rdbuf();
  return std::move(text).str();
}

std::optional<std::string> read_input(const std::string& path) {
  if (path == "-") {
    return read_stream(std::cin);
  }
  return read_file(path);
}

}  // namespace portcullis::cli
