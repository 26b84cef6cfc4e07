#include "portcullis/audit/log_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <utility>

#include "audit/log_directory.hpp"
#include "portcullis/audit/file_data.hpp"

namespace portcullis::audit {
namespace {

constexpr std::string_view kPrefix = "audit-";
constexpr std::string_view kSuffix = ".jsonl";
// Bytes read per pread(): large enough to amortise the call, small enough to stay in cache.
constexpr std::size_t kChunkBytes = 256 * 1024;

std::string errno_text(int err) { return std::system_category().message(err); }

// A file descriptor that closes itself.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

// pread() that retries on EINTR. Returns bytes read, or -1 with errno set.
ssize_t pread_retry(int fd, char* data, std::size_t size, std::uint64_t offset) {
  for (;;) {
    const ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n >= 0 || errno != EINTR) {
      return n;
    }
  }
}

// statx for the size alone, not fstat: a stat of the file the writer is writing would make its
// every write dirty the inode (log_directory.hpp, link_count).
Result<std::uint64_t> file_size(int fd, const std::filesystem::path& path) {
  auto size = detail::file_size_of(fd);
  if (!size) {
    return fail(path.string() + ": " + size.error().message);
  }
  return *size;
}

// Where the file's `count`-th newline is (the start of the following line), scanning from the
// start; fewer newlines than `count` ends at the last complete line.
struct LineSkip {
  std::uint64_t offset = 0;  // just after the last newline skipped
  std::uint64_t lines = 0;   // newlines skipped (<= count)
};

Result<LineSkip> skip_lines(const std::filesystem::path& path, std::uint64_t count) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return fail(path.string() + ": open: " + errno_text(errno));
  }
  LineSkip skip;
  std::string chunk(kChunkBytes, '\0');
  std::uint64_t at = 0;
  while (skip.lines < count) {
    const ssize_t n = pread_retry(fd.get(), chunk.data(), chunk.size(), at);
    if (n < 0) {
      return fail(path.string() + ": read: " + errno_text(errno));
    }
    if (n == 0) {
      break;
    }
    const char* begin = chunk.data();
    // Only the data counts: it ends at the first NUL byte (file_data.hpp).
    const std::size_t data = data_length(std::string_view(begin, static_cast<std::size_t>(n)));
    const char* end = begin + data;
    for (const char* p = begin; skip.lines < count;) {
      const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      if (nl == nullptr) {
        break;
      }
      p = static_cast<const char*>(nl) + 1;
      ++skip.lines;
      skip.offset = at + static_cast<std::uint64_t>(p - begin);
    }
    if (data < static_cast<std::size_t>(n)) {
      break;
    }
    at += static_cast<std::uint64_t>(n);
  }
  return skip;
}

// The first complete record of a file, or nullopt when it has none yet.
Result<std::optional<LogRecord>> first_record(const std::filesystem::path& dir,
                                              const std::string& name) {
  LogReader reader(dir, LogPosition{name, 0, 0});
  LogReaderLimits one;
  one.max_records = 1;
  auto records = reader.read(one);
  if (!records) {
    return tl::unexpected(records.error());
  }
  if (records->empty() || records->front().end.file != name) {
    return std::optional<LogRecord>();
  }
  return std::optional<LogRecord>(std::move(records->front()));
}

// Collects metadata.sequence, metadata.uid and time from SAX events. Containers are tracked in
// a small stack so that only members of the top-level object and of its "metadata" object match.
struct RecordFieldsSax {
  using json = nlohmann::json;

  struct Frame {
    bool is_object = false;
    bool is_metadata = false;  // the top-level object's "metadata" member
    std::string key;           // last key seen in this object
  };

  std::vector<Frame> stack;
  bool top_level_object = false;
  bool saw_metadata = false;
  std::uint64_t sequence = 0;
  std::string uid;
  std::int64_t time_ms = 0;

  [[nodiscard]] bool at_top_member(std::string_view name) const {
    return stack.size() == 1 && stack.back().key == name;
  }
  [[nodiscard]] bool at_metadata_member(std::string_view name) const {
    return stack.size() == 2 && stack.back().is_metadata && stack.back().key == name;
  }
  void set_integer(std::int64_t value) {
    if (at_metadata_member("sequence")) {
      sequence = value > 0 ? static_cast<std::uint64_t>(value) : 0;
    } else if (at_top_member("time")) {
      time_ms = value;
    }
  }
  void clear_scalar_targets() {
    // A member of the wrong type resets what it would have set.
    if (at_metadata_member("sequence")) {
      sequence = 0;
    } else if (at_metadata_member("uid")) {
      uid.clear();
    }
  }

  bool null() {
    clear_scalar_targets();
    return true;
  }
  bool boolean(bool /*value*/) {
    clear_scalar_targets();
    return true;
  }
  bool number_integer(json::number_integer_t value) {
    set_integer(value);
    if (at_metadata_member("uid")) {
      uid.clear();
    }
    return true;
  }
  bool number_unsigned(json::number_unsigned_t value) {
    if (at_metadata_member("sequence")) {
      sequence = value;
    } else if (at_top_member("time")) {
      time_ms = static_cast<std::int64_t>(value);
    } else if (at_metadata_member("uid")) {
      uid.clear();
    }
    return true;
  }
  bool number_float(json::number_float_t /*value*/, const json::string_t& /*text*/) {
    clear_scalar_targets();
    return true;
  }
  bool string(json::string_t& value) {
    if (at_metadata_member("uid")) {
      uid = std::move(value);
    } else if (at_metadata_member("sequence")) {
      sequence = 0;
    }
    return true;
  }
  bool binary(json::binary_t& /*value*/) { return true; }
  bool start_object(std::size_t /*elements*/) {
    if (stack.empty()) {
      top_level_object = true;
    }
    clear_scalar_targets();
    const bool is_metadata = at_top_member("metadata");
    if (is_metadata) {
      saw_metadata = true;
    }
    stack.push_back(Frame{true, is_metadata, {}});
    return true;
  }
  bool key(json::string_t& name) {
    stack.back().key = std::move(name);
    return true;
  }
  bool end_object() {
    stack.pop_back();
    return true;
  }
  bool start_array(std::size_t /*elements*/) {
    clear_scalar_targets();
    if (at_top_member("metadata")) {
      saw_metadata = false;
    }
    stack.push_back(Frame{false, false, {}});
    return true;
  }
  bool end_array() {
    stack.pop_back();
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*error*/) {
    return false;
  }
};

// The offset just after the last byte of `fd` (of `size` bytes) that is not NUL: where the file's
// content ends once a NUL tail is left out. Reads only that tail (and one chunk).
Result<std::uint64_t> end_before_nul_tail(int fd, std::uint64_t size,
                                          const std::filesystem::path& path) {
  std::string chunk(64 * 1024, '\0');
  std::uint64_t end = size;
  while (end > 0) {
    const std::uint64_t step = std::min<std::uint64_t>(end, chunk.size());
    const ssize_t n = pread_retry(fd, chunk.data(), static_cast<std::size_t>(step), end - step);
    if (n != static_cast<ssize_t>(step)) {
      return fail(path.string() + ": read: " + (n < 0 ? errno_text(errno) : "short read"));
    }
    const auto last = std::string_view(chunk.data(), static_cast<std::size_t>(step))
                          .find_last_not_of('\0');
    if (last != std::string_view::npos) {
      return end - step + last + 1;
    }
    end -= step;
  }
  return end;
}

void sleep_for(std::chrono::milliseconds duration, const std::stop_token& stop) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  cv.wait_for(lock, stop, duration, [] { return false; });
}

}  // namespace

bool is_audit_log_file_name(std::string_view name) {
  return name.size() > kPrefix.size() + kSuffix.size() &&
         name.substr(0, kPrefix.size()) == kPrefix &&
         name.substr(name.size() - kSuffix.size()) == kSuffix &&
         name.find('/') == std::string_view::npos;
}

Result<std::vector<std::string>> list_audit_log_files(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return names;
    }
    return fail(dir.string() + ": " + ec.message());
  }
  // increment(ec), not a range-for: the iterator's operator++ throws on I/O errors.
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (is_audit_log_file_name(name)) {
      names.push_back(std::move(name));
    }
  }
  if (ec) {
    return fail(dir.string() + ": " + ec.message());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<LogRecord> parse_audit_record_line(std::string_view line) {
  // A SAX pass instead of a DOM: the sinks need three fields of a ~1.5 KB record, and building
  // the whole tree for every record would cost more than sending it. The whole line is still
  // parsed, so a line that is not valid JSON is still rejected.
  RecordFieldsSax sax;
  const bool ok = nlohmann::json::sax_parse(line.begin(), line.end(), &sax);
  if (!ok || !sax.top_level_object) {
    return fail("not a JSON object");
  }
  if (!sax.saw_metadata) {
    return fail("no metadata object");
  }
  if (sax.sequence == 0) {
    return fail("metadata.sequence is not a positive integer");
  }
  if (sax.uid.empty()) {
    return fail("metadata.uid is not a non-empty string");
  }
  LogRecord record;
  record.line.assign(line);
  record.sequence = sax.sequence;
  record.uid = std::move(sax.uid);
  record.time_ms = sax.time_ms;
  return record;
}

Result<LogRecord> read_last_audit_record(const std::filesystem::path& dir) {
  auto files = list_audit_log_files(dir);
  if (!files) {
    return tl::unexpected(files.error());
  }
  for (auto name = files->rbegin(); name != files->rend(); ++name) {
    const auto path = dir / *name;
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ENOENT) {
        continue;  // removed by retention meanwhile
      }
      return fail(path.string() + ": open: " + errno_text(errno));
    }
    auto size = file_size(fd.get(), path);
    if (!size) {
      return tl::unexpected(size.error());
    }
    // Step back over the unwritten tail (NUL bytes, file_data.hpp) without keeping it, then read
    // backwards until the buffer holds the last complete line and the newline before it (or the
    // start of the file).
    auto content_end = end_before_nul_tail(fd.get(), *size, path);
    if (!content_end) {
      return tl::unexpected(content_end.error());
    }
    std::string tail;
    std::uint64_t start = *content_end;
    for (;;) {
      // The data ends at the first NUL byte: a NUL in what was read back (damage, or a write in
      // flight over the tail) ends it there.
      tail.resize(data_length(tail));
      const auto last_nl = tail.rfind('\n');
      if (last_nl != std::string::npos) {
        const auto prev_nl = last_nl == 0 ? std::string::npos : tail.rfind('\n', last_nl - 1);
        if (prev_nl != std::string::npos || start == 0) {
          const std::size_t begin = prev_nl == std::string::npos ? 0 : prev_nl + 1;
          auto record =
              parse_audit_record_line(std::string_view(tail).substr(begin, last_nl - begin));
          if (!record) {
            return fail(path.string() + ": last record: " + record.error().message);
          }
          record->end = LogPosition{*name, start + last_nl + 1, record->sequence};
          return record;
        }
      }
      if (start == 0) {
        break;  // no complete line in this file: look at the one before
      }
      const std::uint64_t step = std::min<std::uint64_t>(start, 64 * 1024);
      start -= step;
      std::string chunk(static_cast<std::size_t>(step), '\0');
      const ssize_t n = pread_retry(fd.get(), chunk.data(), chunk.size(), start);
      if (n != static_cast<ssize_t>(step)) {
        return fail(path.string() + ": read: " + (n < 0 ? errno_text(errno) : "short read"));
      }
      tail.insert(0, chunk);
    }
  }
  return LogRecord{};
}

// What one read() call has accumulated, across files.
struct LogReader::ReadState {
  std::size_t bytes = 0;
};

LogReader::LogReader(std::filesystem::path dir, LogPosition after)
    : dir_(std::move(dir)), position_(std::move(after)) {}

LogReader::~LogReader() { close_current(); }

LogReader::LogReader(LogReader&& other) noexcept
    : dir_(std::move(other.dir_)),
      position_(std::move(other.position_)),
      fd_(std::exchange(other.fd_, -1)),
      open_name_(std::move(other.open_name_)),
      accept_any_next_sequence_(other.accept_any_next_sequence_),
      skipped_records_(other.skipped_records_),
      abandoned_tail_bytes_(other.abandoned_tail_bytes_),
      observed_size_(other.observed_size_),
      observed_data_end_(other.observed_data_end_) {}

LogReader& LogReader::operator=(LogReader&& other) noexcept {
  if (this != &other) {
    close_current();
    dir_ = std::move(other.dir_);
    position_ = std::move(other.position_);
    fd_ = std::exchange(other.fd_, -1);
    open_name_ = std::move(other.open_name_);
    accept_any_next_sequence_ = other.accept_any_next_sequence_;
    skipped_records_ = other.skipped_records_;
    abandoned_tail_bytes_ = other.abandoned_tail_bytes_;
    observed_size_ = other.observed_size_;
    observed_data_end_ = other.observed_data_end_;
  }
  return *this;
}

void LogReader::close_current() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  open_name_.clear();
  observed_size_ = 0;
  observed_data_end_ = 0;
}

Result<bool> LogReader::open_current() {
  if (fd_ >= 0 && open_name_ == position_.file) {
    return true;
  }
  close_current();
  const auto path = dir_ / position_.file;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return false;
    }
    return fail(path.string() + ": open: " + errno_text(errno));
  }
  fd_ = fd;
  open_name_ = position_.file;
  return true;
}

Result<std::uint64_t> LogReader::current_size() const {
  return file_size(fd_, dir_ / position_.file);
}

void LogReader::move_to_file(const std::string& name) {
  close_current();
  position_.file = name;
  position_.offset = 0;
}

Result<std::optional<std::string>> LogReader::next_file() const {
  auto files = list_audit_log_files(dir_);
  if (!files) {
    return tl::unexpected(files.error());
  }
  auto next = std::upper_bound(files->begin(), files->end(), position_.file);
  if (next == files->end()) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(*next);
}

Result<bool> LogReader::read_current_file(std::vector<LogRecord>& out,
                                          const LogReaderLimits& limits, ReadState& state) {
  const auto path = dir_ / position_.file;
  auto size = current_size();
  if (!size) {
    return tl::unexpected(size.error());
  }
  if (*size < position_.offset) {
    return fail(path.string() + ": the file is now " + std::to_string(*size) +
                " bytes, shorter than the position already read (" +
                std::to_string(position_.offset) + "): it was rewritten");
  }
  // Invariant: buffer[line_start] is the byte at file offset position_.offset.
  std::string buffer;
  std::size_t line_start = 0;
  std::size_t scan_from = 0;
  std::uint64_t read_at = position_.offset;  // file offset of buffer's end
  // Set once the first NUL byte was read: the data ends at read_at, and the bytes after it are
  // the unwritten tail (file_data.hpp), or a write still in flight over it. Either way there is
  // no more data yet, as at the end of the file.
  bool at_data_end = false;
  for (;;) {
    if (out.size() >= limits.max_records || (!out.empty() && state.bytes >= limits.max_bytes)) {
      return true;
    }
    const auto nl = buffer.find('\n', scan_from);
    if (nl == std::string::npos) {
      if (buffer.size() - line_start > limits.max_line_bytes) {
        return fail(path.string() + ": byte " + std::to_string(position_.offset) +
                    ": a line longer than " + std::to_string(limits.max_line_bytes) +
                    " bytes is not an audit record");
      }
      if (at_data_end || read_at >= *size) {
        observed_size_ = *size;
        observed_data_end_ = read_at;
        return false;  // caught up; anything left is a line still being written
      }
      buffer.erase(0, line_start);
      scan_from = buffer.size();
      line_start = 0;
      const auto chunk =
          static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, *size - read_at));
      const std::size_t old_size = buffer.size();
      buffer.resize(old_size + chunk);
      const ssize_t n = pread_retry(fd_, buffer.data() + old_size, chunk, read_at);
      if (n < 0) {
        return fail(path.string() + ": read: " + errno_text(errno));
      }
      const std::size_t data =
          data_length(std::string_view(buffer.data() + old_size, static_cast<std::size_t>(n)));
      at_data_end = data < static_cast<std::size_t>(n);
      buffer.resize(old_size + data);
      read_at += data;
      if (n == 0) {
        observed_size_ = read_at;
        observed_data_end_ = read_at;
        return false;
      }
      continue;
    }
    const std::string_view line(buffer.data() + line_start, nl - line_start);
    auto record = parse_audit_record_line(line);
    if (!record) {
      return fail(path.string() + ": byte " + std::to_string(position_.offset) +
                  ": not an audit record: " + record.error().message);
    }
    const std::uint64_t expected = position_.sequence + 1;
    if (record->sequence != expected) {
      const bool may_skip = position_.sequence == 0 || accept_any_next_sequence_;
      if (!may_skip || record->sequence < expected) {
        return fail(path.string() + ": byte " + std::to_string(position_.offset) + ": sequence " +
                    std::to_string(record->sequence) + " where " + std::to_string(expected) +
                    " was expected (records removed, reordered or inserted)");
      }
      skipped_records_ += record->sequence - expected;
    }
    accept_any_next_sequence_ = false;
    record->end =
        LogPosition{position_.file, position_.offset + (nl + 1 - line_start), record->sequence};
    position_ = record->end;
    state.bytes += line.size();
    out.push_back(std::move(*record));
    line_start = nl + 1;
    scan_from = line_start;
  }
}

Result<std::vector<LogRecord>> LogReader::read(const LogReaderLimits& limits) {
  std::vector<LogRecord> out;
  ReadState state;
  // An error after some records were read returns those records; the error comes back on the
  // next call, at the record that caused it.
  auto stop_with = [&out](const Error& error) -> Result<std::vector<LogRecord>> {
    if (!out.empty()) {
      return std::move(out);
    }
    return tl::unexpected(error);
  };
  for (;;) {
    if (position_.file.empty()) {
      auto files = list_audit_log_files(dir_);
      if (!files) {
        return stop_with(files.error());
      }
      if (files->empty()) {
        return out;
      }
      move_to_file(files->front());
    }
    auto opened = open_current();
    if (!opened) {
      return stop_with(opened.error());
    }
    if (!*opened) {
      // Removed before we got to its end (retention): go on with the next file, whose first
      // sequence is accepted as it is and the difference counted as skipped.
      auto next = next_file();
      if (!next) {
        return stop_with(next.error());
      }
      if (!*next) {
        return out;  // nothing newer yet
      }
      accept_any_next_sequence_ = true;
      move_to_file(**next);
      continue;
    }
    auto full = read_current_file(out, limits, state);
    if (!full) {
      return stop_with(full.error());
    }
    if (*full) {
      return out;
    }
    auto next = next_file();
    if (!next) {
      return stop_with(next.error());
    }
    if (!*next) {
      return out;
    }
    // The writer creates the next file only after it finished this one, so one more pass
    // reads whatever it appended between our last read and our listing.
    full = read_current_file(out, limits, state);
    if (!full) {
      return stop_with(full.error());
    }
    if (*full) {
      return out;
    }
    // The incomplete line left behind, up to the data end (a NUL tail is not counted).
    abandoned_tail_bytes_ += observed_data_end_ - position_.offset;
    move_to_file(**next);
  }
}

bool LogReader::has_news() {
  if (position_.file.empty()) {
    auto files = list_audit_log_files(dir_);
    return files && !files->empty();
  }
  auto opened = open_current();
  if (!opened) {
    return true;  // let read() report the error
  }
  if (*opened) {
    auto size = current_size();
    if (!size || *size != observed_size_) {
      return true;
    }
    if (observed_data_end_ < observed_size_) {
      // Caught up at a NUL tail: records are written over it without changing the file's size,
      // so look at the byte where the data ended.
      char byte = '\0';
      if (pread_retry(fd_, &byte, 1, observed_data_end_) != 1 || byte != '\0') {
        return true;
      }
    }
  }
  auto next = next_file();
  return !next || next->has_value();
}

bool LogReader::wait_for_records(std::chrono::milliseconds timeout,
                                 std::chrono::milliseconds poll_interval, std::stop_token stop) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (has_news()) {
      return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (stop.stop_requested() || now >= deadline) {
      return false;
    }
    sleep_for(std::min(poll_interval,
                       std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)),
              stop);
  }
}

void LogReader::seek(const LogPosition& after) {
  close_current();
  position_ = after;
  accept_any_next_sequence_ = false;
}

Result<void> LogReader::seek_to_sequence(std::uint64_t sequence) {
  if (sequence == 0) {
    sequence = 1;
  }
  auto files = list_audit_log_files(dir_);
  if (!files) {
    return tl::unexpected(files.error());
  }
  // The newest file whose first record is at or before `sequence` holds it (sequences are
  // consecutive inside a file, so its line is found by counting newlines, without parsing).
  std::optional<std::pair<std::string, std::uint64_t>> earliest;  // file, first sequence
  for (auto name = files->rbegin(); name != files->rend(); ++name) {
    auto first = first_record(dir_, *name);
    if (!first) {
      return tl::unexpected(first.error());
    }
    if (!first->has_value()) {
      continue;  // no complete record yet
    }
    const std::uint64_t first_sequence = (*first)->sequence;
    if (first_sequence <= sequence) {
      auto skip = skip_lines(dir_ / *name, sequence - first_sequence);
      if (!skip) {
        return tl::unexpected(skip.error());
      }
      seek(LogPosition{*name, skip->offset, first_sequence + skip->lines - 1});
      return {};
    }
    earliest = std::make_pair(*name, first_sequence);
  }
  if (!earliest) {
    seek(LogPosition{});
    return {};
  }
  // Every record from `sequence` up to the earliest one still on disk is gone.
  skipped_records_ += earliest->second - sequence;
  seek(LogPosition{earliest->first, 0, earliest->second - 1});
  return {};
}

}  // namespace portcullis::audit
