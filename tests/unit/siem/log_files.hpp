// Helpers for the SIEM unit tests: a temporary log directory and audit record lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace portcullis::test::siem_unit {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "portcullis-siem-unit-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string record_line(std::uint64_t sequence, std::int64_t time_ms = 1700000000000) {
  return R"({"metadata":{"sequence":)" + std::to_string(sequence) + R"(,"uid":"uid-)" +
         std::to_string(sequence) + R"("},"time":)" + std::to_string(time_ms) + "}";
}

// Appends raw bytes to dir/name.
inline void append_bytes(const std::filesystem::path& dir, const std::string& name,
                         const std::string& bytes) {
  std::ofstream out(dir / name, std::ios::binary | std::ios::app);
  out << bytes;
}

// Appends complete records first..last to dir/name.
inline void append_records(const std::filesystem::path& dir, const std::string& name,
                           std::uint64_t first, std::uint64_t last) {
  std::string bytes;
  for (auto seq = first; seq <= last; ++seq) {
    bytes += record_line(seq) + "\n";
  }
  append_bytes(dir, name, bytes);
}

}  // namespace portcullis::test::siem_unit
