#include "portcullis/audit/scan.hpp"

#include <string_view>

#include "portcullis/audit/file_data.hpp"
#include "portcullis/audit/verifier.hpp"

namespace portcullis::audit {

Result<std::uint64_t> scan_records(const std::filesystem::path& dir,
                                   const std::function<void(const nlohmann::json&)>& on_record) {
  auto files = list_log_files(dir);
  if (!files) {
    return tl::unexpected(files.error());
  }
  std::uint64_t count = 0;
  for (const auto& file : *files) {
    // Complete lines up to the data end: an incomplete last line and the NUL tail a writer may
    // have reserved ahead of its records (file_data.hpp) are not records.
    auto read = read_lines(file, 0, TailCheck::Stop, [&](std::string_view line) {
      auto record = nlohmann::json::parse(line, nullptr, false);
      if (record.is_discarded() || !record.is_object()) {
        return;
      }
      on_record(record);
      ++count;
    });
    if (!read) {
      return tl::unexpected(read.error());
    }
  }
  return count;
}

}  // namespace portcullis::audit
