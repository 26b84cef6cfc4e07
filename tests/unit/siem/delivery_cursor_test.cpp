#include "portcullis/audit/delivery_cursor.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "log_files.hpp"

using portcullis::audit::DeliveryCursor;
using portcullis::audit::LogPosition;
using portcullis::test::siem_unit::TempDir;

TEST_CASE("A missing cursor file is the start of the log", "[siem][cursor]") {
  TempDir dir;
  auto cursor = DeliveryCursor::open(dir.path() / "cursors", "relp-main");
  REQUIRE(cursor);
  CHECK(cursor->position() == LogPosition{});
  CHECK(cursor->path() == dir.path() / "cursors" / "relp-main.cursor");
  CHECK(std::filesystem::is_directory(dir.path() / "cursors"));
}

TEST_CASE("A stored cursor is read back by the next open", "[siem][cursor]") {
  TempDir dir;
  const LogPosition position{"audit-20261127-010000.jsonl", 123456, 789};
  {
    auto cursor = DeliveryCursor::open(dir.path(), "syslog");
    REQUIRE(cursor);
    REQUIRE(cursor->store(position));
    CHECK(cursor->position() == position);
  }
  auto reopened = DeliveryCursor::open(dir.path(), "syslog");
  REQUIRE(reopened);
  CHECK(reopened->position() == position);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "syslog.cursor.tmp"));
}

TEST_CASE("The cursor format round-trips and rejects malformed content", "[siem][cursor]") {
  const LogPosition position{"audit-20261127-010000.jsonl", 10, 2};
  auto parsed =
      portcullis::audit::parse_delivery_cursor(portcullis::audit::format_delivery_cursor(position));
  REQUIRE(parsed);
  CHECK(*parsed == position);
  struct Case {
    std::string text;
    std::string reason;
  };
  const auto c = GENERATE(values<Case>({
      {"", "not a JSON object"},
      {R"({"file":"","offset":0,"sequence":0})", "unsupported cursor version"},
      {R"({"version":2,"file":"","offset":0,"sequence":0})", "unsupported cursor version"},
      {R"({"version":1,"offset":0,"sequence":0})", "\"file\" is not a string"},
      {R"({"version":1,"file":"","offset":-1,"sequence":0})", "\"offset\" is not"},
      {R"({"version":1,"file":"","offset":0})", "\"sequence\" is not"},
      {R"({"version":1,"file":"../etc/passwd","offset":0,"sequence":0})", "not an audit log"},
      {R"({"version":1,"file":"","offset":5,"sequence":0})", "without a file"},
  }));
  auto bad = portcullis::audit::parse_delivery_cursor(c.text);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains(c.reason));
}

TEST_CASE("A corrupt cursor file is an error that names the file", "[siem][cursor]") {
  TempDir dir;
  std::ofstream(dir.path() / "relp.cursor") << "{\"version\":1,";
  auto cursor = DeliveryCursor::open(dir.path(), "relp");
  REQUIRE_FALSE(cursor);
  CHECK_THAT(cursor.error().message,
             Catch::Contains("relp.cursor") && Catch::Contains("delete it"));
}

TEST_CASE("Sink names that cannot be file names are refused", "[siem][cursor]") {
  TempDir dir;
  const auto name =
      GENERATE(as<std::string>{}, "", ".hidden", "a/b", "with space", std::string(65, 'x'));
  CHECK_FALSE(DeliveryCursor::open(dir.path(), name));
  CHECK(portcullis::audit::is_valid_sink_name("relp-1.main_x"));
}

TEST_CASE("A cursor that cannot be written fails and keeps the old position", "[siem][cursor]") {
  if (::geteuid() == 0) {
    // root ignores directory permissions; use a path whose parent is a file instead.
    TempDir dir;
    auto cursor = DeliveryCursor::open(dir.path(), "relp");
    REQUIRE(cursor);
    std::filesystem::remove_all(dir.path());
    std::ofstream(dir.path()) << "a file where the directory was";
    auto stored = cursor->store(LogPosition{"audit-20261127-010000.jsonl", 1, 1});
    REQUIRE_FALSE(stored);
    CHECK_THAT(stored.error().message, Catch::Contains("relp.cursor.tmp"));
    CHECK(cursor->position() == LogPosition{});
    std::filesystem::remove(dir.path());
    std::filesystem::create_directory(dir.path());
    return;
  }
  TempDir dir;
  auto cursor = DeliveryCursor::open(dir.path(), "relp");
  REQUIRE(cursor);
  std::filesystem::permissions(
      dir.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  auto stored = cursor->store(LogPosition{"audit-20261127-010000.jsonl", 1, 1});
  REQUIRE_FALSE(stored);
  CHECK(cursor->position() == LogPosition{});
}
