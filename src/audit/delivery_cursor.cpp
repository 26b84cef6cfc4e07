#include "portcullis/audit/delivery_cursor.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

namespace portcullis::audit {
namespace {

constexpr std::string_view kSuffix = ".cursor";
constexpr std::size_t kMaxCursorBytes = 4096;

std::string errno_text(int err) { return std::system_category().message(err); }

Result<void> write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(path.string() + ": write: " + errno_text(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> fsync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    return fail(path.string() + ": open: " + errno_text(errno));
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return fail(path.string() + ": fsync: " + errno_text(err));
  }
  return {};
}

}  // namespace

std::string format_delivery_cursor(const LogPosition& position) {
  nlohmann::json json = {{"version", 1},
                         {"file", position.file},
                         {"offset", position.offset},
                         {"sequence", position.sequence}};
  return json.dump() + "\n";
}

Result<LogPosition> parse_delivery_cursor(std::string_view text) {
  auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return fail("not a JSON object");
  }
  auto version = json.find("version");
  if (version == json.end() || !version->is_number_integer() || version->get<int>() != 1) {
    return fail("unsupported cursor version (expected 1)");
  }
  auto file = json.find("file");
  auto offset = json.find("offset");
  auto sequence = json.find("sequence");
  if (file == json.end() || !file->is_string()) {
    return fail("\"file\" is not a string");
  }
  if (offset == json.end() || !offset->is_number_unsigned()) {
    return fail("\"offset\" is not a non-negative integer");
  }
  if (sequence == json.end() || !sequence->is_number_unsigned()) {
    return fail("\"sequence\" is not a non-negative integer");
  }
  LogPosition position{file->get<std::string>(), offset->get<std::uint64_t>(),
                       sequence->get<std::uint64_t>()};
  if (!position.file.empty() && !is_audit_log_file_name(position.file)) {
    return fail("\"file\" is not an audit log file name: " + position.file);
  }
  if (position.file.empty() && (position.offset != 0 || position.sequence != 0)) {
    return fail("a position without a file must have offset and sequence 0");
  }
  return position;
}

bool is_valid_sink_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Result<DeliveryCursor> DeliveryCursor::open(const std::filesystem::path& dir,
                                            std::string_view sink_name) {
  if (!is_valid_sink_name(sink_name)) {
    return fail("invalid SIEM sink name \"" + std::string(sink_name) +
                "\": use 1-64 characters of [A-Za-z0-9._-], not starting with '.'");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(dir.string() + ": cannot create the cursor directory: " + ec.message());
  }
  auto path = dir / (std::string(sink_name) + std::string(kSuffix));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return DeliveryCursor(std::move(path), LogPosition{});
    }
    return fail(path.string() + ": open: " + errno_text(errno));
  }
  std::string text(kMaxCursorBytes + 1, '\0');
  std::size_t size = 0;
  for (;;) {
    const ssize_t n = ::read(fd, text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const int err = errno;
      if (n < 0) {
        ::close(fd);
        return fail(path.string() + ": read: " + errno_text(err));
      }
      break;
    }
    size += static_cast<std::size_t>(n);
    if (size == text.size()) {
      break;
    }
  }
  ::close(fd);
  if (size > kMaxCursorBytes) {
    return fail(path.string() + ": not a delivery cursor (larger than 4 KiB)");
  }
  text.resize(size);
  auto position = parse_delivery_cursor(text);
  if (!position) {
    return fail(path.string() + ": not a delivery cursor: " + position.error().message +
                " (delete it to deliver the whole log again)");
  }
  return DeliveryCursor(std::move(path), std::move(*position));
}

Result<void> DeliveryCursor::store(const LogPosition& position) {
  auto temp = path_;
  temp += ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(temp.string() + ": open: " + errno_text(errno));
  }
  auto written = write_all(fd, format_delivery_cursor(position), temp);
  if (written && ::fsync(fd) != 0) {
    written = fail(temp.string() + ": fsync: " + errno_text(errno));
  }
  if (::close(fd) != 0 && written) {
    written = fail(temp.string() + ": close: " + errno_text(errno));
  }
  if (!written) {
    ::unlink(temp.c_str());
    return written;
  }
  if (::rename(temp.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return fail(path_.string() + ": rename: " + errno_text(err));
  }
  // The rename is durable only once the directory entry is.
  auto dir = path_.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  if (auto synced = fsync_path(dir, O_RDONLY | O_DIRECTORY); !synced) {
    return synced;
  }
  position_ = position;
  return {};
}

}  // namespace portcullis::audit
