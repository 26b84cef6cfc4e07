#include "cli/read_input.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

// A file with `bytes` in a fresh temp dir, removed with the fixture.
struct TempFile {
  explicit TempFile(const std::string& bytes)
      : dir(fs::temp_directory_path() /
            ("portcullis-read-input-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)))),
        path(dir / "input.bin") {
    fs::create_directories(dir);
    std::ofstream(path, std::ios::binary) << bytes;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  fs::path dir;
  fs::path path;
};

}  // namespace

TEST_CASE("read_file returns every byte of the file, including NUL and CR LF",
          "[cli][read_input]") {
  const std::string bytes("a\0b\r\nc", 6);
  const TempFile file(bytes);
  const auto text = portcullis::cli::read_file(file.path.string());
  REQUIRE(text);
  CHECK(*text == bytes);
}

TEST_CASE("read_file returns an empty string for an empty file", "[cli][read_input]") {
  const TempFile file("");
  const auto text = portcullis::cli::read_file(file.path.string());
  REQUIRE(text);
  CHECK(text->empty());
}

TEST_CASE("read_file reports a missing file as nullopt", "[cli][read_input]") {
  const TempFile file("x");
  CHECK_FALSE(portcullis::cli::read_file((file.dir / "absent.json").string()));
}

TEST_CASE("read_input treats a path other than - as a file", "[cli][read_input]") {
  const TempFile file("{\"uid\":1}");
  const auto text = portcullis::cli::read_input(file.path.string());
  REQUIRE(text);
  CHECK(*text == "{\"uid\":1}");
}

TEST_CASE("read_stream reads what is left in the stream", "[cli][read_input]") {
  std::istringstream in("line 1\nline 2\n");
  std::string first;
  std::getline(in, first);
  CHECK(portcullis::cli::read_stream(in) == "line 2\n");
  CHECK(portcullis::cli::read_stream(in).empty());
}
