#include "portcullis/audit/file_data.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace portcullis::audit {

namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

// pread() that retries on EINTR. Returns bytes read, or -1 with errno set.
ssize_t pread_retry(int fd, char* data, std::size_t size, std::uint64_t offset) {
  for (;;) {
    const ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n >= 0 || errno != EINTR) {
      return n;
    }
  }
}

Error read_error(const std::string& name, int err) {
  return Error{"cannot read " + name + ": " + std::strerror(err)};
}

// The offset in `bytes` of the first byte that is not NUL, or npos.
std::size_t first_non_nul(std::string_view bytes) {
  const auto it = std::find_if(bytes.begin(), bytes.end(), [](char c) { return c != '\0'; });
  return it == bytes.end() ? std::string_view::npos : static_cast<std::size_t>(it - bytes.begin());
}

}  // namespace

std::size_t data_length(std::string_view bytes) noexcept {
  const void* nul = std::memchr(bytes.data(), '\0', bytes.size());
  return nul == nullptr ? bytes.size()
                        : static_cast<std::size_t>(static_cast<const char*>(nul) - bytes.data());
}

Result<FileData> read_lines(int fd, std::uint64_t from, TailCheck tail,
                            const std::function<void(std::string_view)>& on_line,
                            const std::string& name) {
  FileData out;
  out.lines_end = from;
  std::string buf(kChunkBytes, '\0');
  std::size_t have = 0;       // bytes of data in buf (none of them NUL)
  std::uint64_t base = from;  // file offset of buf[0]
  bool at_data_end = false;
  while (!at_data_end) {
    if (have == buf.size()) {
      buf.resize(buf.size() * 2);  // a line longer than the buffer
    }
    const ssize_t n = pread_retry(fd, buf.data() + have, buf.size() - have, base + have);
    if (n < 0) {
      return tl::unexpected(read_error(name, errno));
    }
    if (n == 0) {
      break;
    }
    const std::string_view fresh(buf.data() + have, static_cast<std::size_t>(n));
    const std::size_t data = data_length(fresh);
    at_data_end = data < fresh.size();
    if (at_data_end && tail == TailCheck::Check) {
      // The rest of this chunk after the first NUL is the start of the unwritten tail.
      const std::size_t bad = first_non_nul(fresh.substr(data));
      if (bad != std::string_view::npos) {
        out.damaged_at = base + have + data + bad;
      }
    }
    std::size_t start = 0;
    const std::size_t stop = have + data;
    while (true) {
      const void* nl = std::memchr(buf.data() + start, '\n', stop - start);
      if (nl == nullptr) {
        break;
      }
      const auto end = static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data());
      on_line(std::string_view(buf.data() + start, end - start));
      start = end + 1;
    }
    std::memmove(buf.data(), buf.data() + start, stop - start);
    have = stop - start;
    base += start;
    out.lines_end = base;
    if (at_data_end) {
      out.end = base + have + (fresh.size() - data);
    }
  }
  out.data_end = base + have;
  out.torn.assign(buf.data(), have);
  if (!at_data_end) {
    out.end = out.data_end;
    return out;
  }
  if (tail == TailCheck::Stop) {
    out.end = out.data_end;
    return out;
  }
  // Read the rest of the unwritten tail: it must be NUL to its end. Read to the end even after
  // damage, so that `end` is the file's length.
  while (true) {
    const ssize_t n = pread_retry(fd, buf.data(), buf.size(), out.end);
    if (n < 0) {
      return tl::unexpected(read_error(name, errno));
    }
    if (n == 0) {
      break;
    }
    if (!out.damaged_at) {
      const std::size_t bad =
          first_non_nul(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      if (bad != std::string_view::npos) {
        out.damaged_at = out.end + bad;
      }
    }
    out.end += static_cast<std::uint64_t>(n);
  }
  return out;
}

Result<FileData> read_lines(const std::filesystem::path& file, std::uint64_t from, TailCheck tail,
                            const std::function<void(std::string_view)>& on_line) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return tl::unexpected(read_error(file.string(), errno));
  }
  auto data = read_lines(fd, from, tail, on_line, file.string());
  ::close(fd);
  return data;
}

}  // namespace portcullis::audit
