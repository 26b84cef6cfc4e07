// The zero-tail rule (portcullis/audit/file_data.hpp): where the data of an audit file ends,
// what is a torn last line, and what is damage — for files laid out byte by byte.
#include "portcullis/audit/file_data.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using portcullis::audit::data_length;
using portcullis::audit::FileData;
using portcullis::audit::read_lines;
using portcullis::audit::TailCheck;

namespace {

std::string nuls(std::size_t n) { return std::string(n, '\0'); }

class TempFile {
 public:
  explicit TempFile(const std::string& bytes) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("portcullis-file-data-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct Read {
  FileData data;
  std::vector<std::string> lines;
};

Read read_file(const std::string& bytes, TailCheck tail, std::uint64_t from = 0) {
  TempFile file(bytes);
  Read out;
  auto data = read_lines(file.path(), from, tail,
                         [&](std::string_view line) { out.lines.emplace_back(line); });
  REQUIRE(data);
  out.data = std::move(*data);
  return out;
}

}  // namespace

TEST_CASE("data_length is the offset of the first NUL byte", "[audit][file_data]") {
  CHECK(data_length("") == 0);
  CHECK(data_length("abc\n") == 4);
  CHECK(data_length(std::string("abc\n") + nuls(3)) == 4);
  CHECK(data_length(nuls(2) + "x") == 0);
  CHECK(data_length(std::string("a\0b", 3)) == 1);
}

TEST_CASE("a file's data ends at its first NUL byte: lines, torn bytes, tail and damage",
          "[audit][file_data]") {
  struct Case {
    const char* what;
    std::string bytes;
    std::vector<std::string> lines;
    std::uint64_t lines_end;
    std::uint64_t data_end;
    std::uint64_t end;
    std::optional<std::uint64_t> damaged_at;
    std::string torn;
  };
  using L = std::vector<std::string>;
  const auto c = GENERATE(values<Case>({
      {"empty", "", L{}, 0, 0, 0, std::nullopt, ""},
      {"no tail", "a\nbb\n", L{"a", "bb"}, 5, 5, 5, std::nullopt, ""},
      {"torn, no tail", "a\nbb", L{"a"}, 2, 4, 4, std::nullopt, "bb"},
      {"NUL tail", "a\nbb\n" + nuls(7), L{"a", "bb"}, 5, 5, 12, std::nullopt, ""},
      {"only NULs", nuls(9), L{}, 0, 0, 9, std::nullopt, ""},
      {"torn then NUL tail", "a\nbb" + nuls(3), L{"a"}, 2, 4, 7, std::nullopt, "bb"},
      {"NUL tail then garbage", "a\n" + nuls(3) + "x" + nuls(2), L{"a"}, 2, 2, 8, 5, ""},
      {"NUL tail then a line", "a\n" + nuls(1) + "b\n", L{"a"}, 2, 2, 5, 3, ""},
      {"NUL inside a record, data after it", "a\nb" + nuls(1) + "c\nd\n", L{"a"}, 2, 3, 8, 4,
       "b"},
  }));
  INFO(c.what);
  const Read r = read_file(c.bytes, TailCheck::Check);
  CHECK(r.lines == c.lines);
  CHECK(r.data.lines_end == c.lines_end);
  CHECK(r.data.data_end == c.data_end);
  CHECK(r.data.end == c.end);
  CHECK(r.data.unwritten_bytes() == c.end - c.data_end);
  CHECK(r.data.damaged_at == c.damaged_at);
  CHECK(r.data.torn == c.torn);
}

TEST_CASE("TailCheck::Stop stops at the first NUL and never reports what follows",
          "[audit][file_data]") {
  const Read r = read_file("a\nbb" + nuls(3) + "garbage\n", TailCheck::Stop);
  CHECK(r.lines == std::vector<std::string>{"a"});
  CHECK(r.data.data_end == 4);
  CHECK(r.data.end == 4);
  CHECK(r.data.unwritten_bytes() == 0);
  CHECK_FALSE(r.data.damaged_at);
  CHECK(r.data.torn == "bb");
}

TEST_CASE("reading starts at the given offset", "[audit][file_data]") {
  const Read r = read_file("a\nbb\nccc\n" + nuls(4), TailCheck::Check, 2);
  CHECK(r.lines == std::vector<std::string>{"bb", "ccc"});
  CHECK(r.data.lines_end == 9);
  CHECK(r.data.data_end == 9);
  CHECK(r.data.end == 13);
  const Read at_end = read_file("a\n" + nuls(4), TailCheck::Check, 2);
  CHECK(at_end.lines.empty());
  CHECK(at_end.data.lines_end == 2);
  CHECK(at_end.data.data_end == 2);
  CHECK(at_end.data.end == 6);
}

TEST_CASE("a long tail and long lines cross the read buffer's boundaries", "[audit][file_data]") {
  // The buffer is 1 MiB: a line of 1.5 MiB makes it grow, and damage 2.5 MiB into the tail is
  // found in a later read than the first NUL.
  const std::string long_line(3 * 1024 * 1024 / 2, 'x');
  const std::string tail = nuls(5 * 1024 * 1024 / 2);
  const std::string bytes = "a\n" + long_line + "\n" + tail + "z";
  const Read r = read_file(bytes, TailCheck::Check);
  REQUIRE(r.lines.size() == 2);
  CHECK(r.lines[1] == long_line);
  const std::uint64_t data_end = 2 + long_line.size() + 1;
  CHECK(r.data.data_end == data_end);
  CHECK(r.data.lines_end == data_end);
  CHECK(r.data.damaged_at == data_end + tail.size());
  CHECK(r.data.end == bytes.size());
  const Read clean = read_file("a\n" + long_line + "\n" + tail, TailCheck::Check);
  CHECK_FALSE(clean.data.damaged_at);
  CHECK(clean.data.unwritten_bytes() == tail.size());
}

TEST_CASE("a file that cannot be opened is an error naming it", "[audit][file_data]") {
  auto r = read_lines(std::filesystem::path("/nonexistent/audit-x.jsonl"), 0, TailCheck::Check,
                      [](std::string_view) {});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("cannot read /nonexistent/audit-x.jsonl") != std::string::npos);
}
