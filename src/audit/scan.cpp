#include "portcullis/audit/scan.hpp"

#include <fstream>
#include <string>

#include "portcullis/audit/verifier.hpp"

namespace portcullis::audit {

Result<std::uint64_t> scan_records(const std::filesystem::path& dir,
                                   const std::function<void(const nlohmann::json&)>& on_record) {
  auto files = list_log_files(dir);
  if (!files) {
    return tl::unexpected(files.error());
  }
  std::uint64_t count = 0;
  std::string line;
  for (const auto& file : *files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return fail("cannot read " + file.string());
    }
    while (std::getline(in, line)) {
      if (in.eof()) {
        break;  // no '\n': an incomplete last line
      }
      auto record = nlohmann::json::parse(line, nullptr, false);
      if (record.is_discarded() || !record.is_object()) {
        continue;
      }
      on_record(record);
      ++count;
    }
  }
  return count;
}

}  // namespace portcullis::audit
