// SseParser: an incremental parser for text/event-stream (WHATWG HTML "Server-sent events"),
// fed arbitrary chunks as they arrive from the upstream, emitting complete events.
//
// Each event keeps its exact bytes (`raw`, up to and including the blank line that ends it) so
// unmodified events are forwarded byte for byte; only a rewritten event (tools/list filtering)
// is re-serialised with `serialize`. Lines end in CRLF, LF or CR; a leading UTF-8 BOM on the
// stream is kept in `raw` of the first event and ignored for parsing. Comments (":...") and
// unknown fields are kept in `raw`. An event bigger than `max_event_bytes` is an error (the
// caller ends the stream: a filter must not pass what it could not read).
// Not thread-safe: one parser per stream, used on that stream's strand.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/common/result.hpp"

namespace portcullis::protocol {

struct SseEvent {
  std::string event;                 // "event:" field ("" = default "message")
  std::string data;                  // "data:" lines joined by "\n"
  std::optional<std::string> id;     // "id:" field, if any
  std::optional<std::string> retry;  // "retry:" field, if any (as sent)
  bool has_data = false;             // at least one data line (a priming event may have "")
  std::string raw;                   // exact bytes of the event, terminator included
};

class SseParser {
 public:
  explicit SseParser(std::size_t max_event_bytes = 8 * 1024 * 1024);

  // Appends the events completed by `chunk` to `out`. After an error the parser is unusable.
  [[nodiscard]] Result<void> feed(std::string_view chunk, std::vector<SseEvent>& out);

  // Bytes received that do not yet form a complete event (forward them at end of stream).
  [[nodiscard]] const std::string& pending() const { return buffer_; }

  // "event: ...\nid: ...\nretry: ...\ndata: line\n...\n\n" for a (rewritten) event.
  [[nodiscard]] static std::string serialize(const SseEvent& event);

 private:
  [[nodiscard]] bool take_event(std::vector<SseEvent>& out);

  std::size_t max_event_bytes_;
  std::string buffer_;        // unconsumed bytes (the current, incomplete event)
  std::size_t scanned_ = 0;   // bytes of buffer_ already searched for an event end
  bool at_stream_start_ = true;
  bool failed_ = false;
};

}  // namespace portcullis::protocol
