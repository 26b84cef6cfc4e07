// Incremental text/event-stream parsing (WHATWG HTML §9.2.6 "Interpreting an event stream").
#include "portcullis/protocol/sse.hpp"

namespace portcullis::protocol {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

void apply_field(std::string_view line, SseEvent& event) {
  if (line.empty() || line.front() == ':') {
    return;  // blank handled by the caller; ':' starts a comment
  }
  const auto colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  std::string_view value =
      colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  if (name == "event") {
    event.event = std::string(value);
  } else if (name == "data") {
    if (event.has_data) {
      event.data += '\n';
    }
    event.data += value;
    event.has_data = true;
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) {
      event.id = std::string(value);
    }
  } else if (name == "retry") {
    event.retry = std::string(value);
  }
}

}  // namespace

SseParser::SseParser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

Result<void> SseParser::feed(std::string_view chunk, std::vector<SseEvent>& out) {
  if (failed_) {
    return fail("SSE stream already failed");
  }
  buffer_.append(chunk);
  while (take_event(out)) {
  }
  if (buffer_.size() > max_event_bytes_) {
    failed_ = true;
    return fail("SSE event larger than " + std::to_string(max_event_bytes_) + " bytes");
  }
  return {};
}

// Scans buffer_ from scanned_ for complete lines; on a blank line emits the event made of
// buffer_[0, end) and returns true. Returns false when more bytes are needed.
bool SseParser::take_event(std::vector<SseEvent>& out) {
  std::size_t start = 0;
  if (at_stream_start_) {
    const std::size_t n = std::min(buffer_.size(), kBom.size());
    if (buffer_.compare(0, n, kBom.substr(0, n)) == 0) {
      if (n < kBom.size()) {
        return false;  // could still be a BOM
      }
      start = kBom.size();
    }
  }
  // Re-parse the event's lines from its start: fields are cheap and this keeps the state in
  // one place. scanned_ only skips the search for the blank line.
  std::size_t pos = std::max(scanned_, start);
  std::size_t line_start = pos;
  // Find the start of the line containing `pos` (scanned_ always sits on a line start).
  while (pos < buffer_.size()) {
    const char c = buffer_[pos];
    if (c != '\n' && c != '\r') {
      ++pos;
      continue;
    }
    std::size_t line_end = pos;
    std::size_t next = pos + 1;
    if (c == '\r') {
      if (next == buffer_.size()) {
        scanned_ = line_start;
        return false;  // CR at the end: wait to see whether LF follows
      }
      if (buffer_[next] == '\n') {
        ++next;
      }
    }
    if (line_end == line_start) {
      // Blank line: the event is buffer_[0, next).
      SseEvent event;
      std::size_t p = start;
      while (p < line_start) {
        std::size_t e = buffer_.find_first_of("\r\n", p);
        apply_field(std::string_view(buffer_).substr(p, e - p), event);
        p = e + 1;
        if (buffer_[e] == '\r' && p < buffer_.size() && buffer_[p] == '\n') {
          ++p;
        }
      }
      event.raw = buffer_.substr(0, next);
      buffer_.erase(0, next);
      scanned_ = 0;
      at_stream_start_ = false;
      out.push_back(std::move(event));
      return true;
    }
    pos = next;
    line_start = next;
  }
  scanned_ = line_start;
  return false;
}

std::string SseParser::serialize(const SseEvent& event) {
  std::string out;
  if (!event.event.empty()) {
    out += "event: " + event.event + "\n";
  }
  if (event.id) {
    out += "id: " + *event.id + "\n";
  }
  if (event.retry) {
    out += "retry: " + *event.retry + "\n";
  }
  if (event.has_data) {
    std::size_t start = 0;
    while (true) {
      const auto nl = event.data.find('\n', start);
      out += "data: " + event.data.substr(start, nl - start) + "\n";
      if (nl == std::string::npos) {
        break;
      }
      start = nl + 1;
    }
  }
  out += "\n";
  return out;
}

}  // namespace portcullis::protocol
