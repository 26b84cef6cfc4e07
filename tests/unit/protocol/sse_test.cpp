#include "portcullis/protocol/sse.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace portcullis::protocol;

namespace {

std::vector<SseEvent> feed_all(SseParser& parser, const std::vector<std::string>& chunks) {
  std::vector<SseEvent> events;
  for (const auto& chunk : chunks) {
    REQUIRE(parser.feed(chunk, events));
  }
  return events;
}

}  // namespace

TEST_CASE("SSE events are parsed from whole chunks", "[protocol][sse]") {
  SseParser parser;
  auto events = feed_all(parser, {"id: p1\ndata:\n\nevent: message\nid: 7\ndata: {\"a\":1}\n\n"});
  REQUIRE(events.size() == 2);
  CHECK(events[0].id == "p1");
  CHECK(events[0].has_data);
  CHECK(events[0].data.empty());
  CHECK(events[0].raw == "id: p1\ndata:\n\n");
  CHECK(events[1].event == "message");
  CHECK(events[1].data == "{\"a\":1}");
  CHECK(events[1].raw == "event: message\nid: 7\ndata: {\"a\":1}\n\n");
  CHECK(parser.pending().empty());
}

TEST_CASE("SSE events split across chunks at every byte come out the same", "[protocol][sse]") {
  const std::string stream =
      "retry: 1000\r\ndata: line1\r\ndata: line2\r\n\r\n: comment\rdata:x\r\r\xEF\xBB\xBF";
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    INFO(split);
    SseParser parser;
    auto events = feed_all(parser, {stream.substr(0, split), stream.substr(split)});
    REQUIRE(events.size() == 2);
    CHECK(events[0].retry == "1000");
    CHECK(events[0].data == "line1\nline2");
    CHECK(events[0].raw == "retry: 1000\r\ndata: line1\r\ndata: line2\r\n\r\n");
    CHECK(events[1].data == "x");
    CHECK(events[1].raw == ": comment\rdata:x\r\r");
    CHECK(parser.pending() == "\xEF\xBB\xBF");
  }
}

TEST_CASE("Byte-by-byte feeding finds every event", "[protocol][sse]") {
  const std::string stream = "data: a\n\ndata: b\ndata: c\n\nevent: end\n\n";
  SseParser parser;
  std::vector<SseEvent> events;
  for (char c : stream) {
    REQUIRE(parser.feed(std::string(1, c), events));
  }
  REQUIRE(events.size() == 3);
  CHECK(events[1].data == "b\nc");
  CHECK(events[2].event == "end");
  CHECK_FALSE(events[2].has_data);
}

TEST_CASE("A byte-order mark at the start of the stream is skipped", "[protocol][sse]") {
  SseParser parser;
  auto events = feed_all(parser, {"\xEF\xBB", "\xBF" "data: x\n\n"});
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == "x");
  CHECK(events[0].raw == "\xEF\xBB\xBF" "data: x\n\n");
}

TEST_CASE("An event larger than the limit fails the stream", "[protocol][sse]") {
  SseParser parser(16);
  std::vector<SseEvent> events;
  CHECK_FALSE(parser.feed("data: 0123456789abcdef", events));
  CHECK_FALSE(parser.feed("\n\n", events));
}

TEST_CASE("A rewritten event serialises to a parseable event", "[protocol][sse]") {
  SseEvent event;
  event.event = "message";
  event.id = "9";
  event.data = "{\"a\":1}\n{\"b\":2}";
  event.has_data = true;
  const std::string text = SseParser::serialize(event);
  CHECK(text == "event: message\nid: 9\ndata: {\"a\":1}\ndata: {\"b\":2}\n\n");
  SseParser parser;
  auto events = feed_all(parser, {text});
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == event.data);
}
