#include "portcullis/audit/redaction.hpp"

#include <catch2/catch.hpp>

#include "portcullis/audit/digest.hpp"
#include "portcullis/audit/jcs.hpp"
#include "portcullis/audit/record.hpp"

using namespace portcullis::audit;
using nlohmann::json;

namespace {
json request() {
  return {{"principal", "Agent::\"a\""},
          {"context",
           {{"input",
             {{"password", "hunter2"},
              {"card", {{"number", "4111111111111111"}, {"exp", "12/30"}}},
              {"items", json::array({{{"ssn", "1"}}, {{"ssn", "2"}}})}}}}}};
}
}  // namespace

TEST_CASE("a drop rule removes the field from the Cedar request context", "[audit][redaction]") {
  Redactor r({{"input.password", RedactionRule::Action::Drop}}, "");
  json req = request();
  const auto applied = r.apply(req);
  CHECK(applied == std::vector<std::string>{"drop:input.password"});
  CHECK_FALSE(req["context"]["input"].contains("password"));
  CHECK(req["context"]["input"]["card"]["exp"] == "12/30");
}

TEST_CASE("an hmac rule replaces the value by the HMAC of its canonical form",
          "[audit][redaction]") {
  Redactor r({{"input.card.number", RedactionRule::Action::Hmac}}, "k3y");
  json req = request();
  (void)r.apply(req);
  const std::string expected =
      "hmac-sha256:" + to_hex(hmac_sha256("k3y", jcs(json("4111111111111111"))));
  CHECK(req["context"]["input"]["card"]["number"] == expected);
}

TEST_CASE("a rule reaches into every element of an array on its path", "[audit][redaction]") {
  Redactor r({{"input.items.ssn", RedactionRule::Action::Drop}}, "");
  json req = request();
  (void)r.apply(req);
  CHECK(req["context"]["input"]["items"] == json::array({json::object(), json::object()}));
}

TEST_CASE("a rule whose path is absent changes nothing and is not reported", "[audit][redaction]") {
  Redactor r({{"input.nothing.here", RedactionRule::Action::Drop}}, "");
  json req = request();
  CHECK(r.apply(req).empty());
  CHECK(req == request());
}

TEST_CASE("decision records carry the redacted request and say what was redacted",
          "[audit][redaction]") {
  Redactor r({{"input.password", RedactionRule::Action::Hmac}}, "k");
  RecordContext ctx;
  ctx.redactor = &r;
  DecisionEvent e;
  e.cedar_request_jcs = jcs(request());
  const RecordTemplate t = make_decision_record(e, ctx);
  CHECK(t.text.find("hunter2") == std::string::npos);
  CHECK(t.text.find("hmac:input.password") != std::string::npos);
  json expected = request();
  (void)r.apply(expected);
  CHECK(t.text.find("\"cedar_request\":" + jcs(expected) + ",") != std::string::npos);
}

TEST_CASE("with redaction configured, a Cedar request text that is not JSON is left out",
          "[audit][redaction]") {
  Redactor r({{"input.password", RedactionRule::Action::Drop}}, "");
  RecordContext ctx;
  ctx.redactor = &r;
  DecisionEvent e;
  e.cedar_request_jcs = R"({"context":{"input":{"password":"hunter2")";  // cut short
  const RecordTemplate t = make_decision_record(e, ctx);
  CHECK(t.text.find("hunter2") == std::string::npos);
  CHECK(t.text.find("\"cedar_request\":null,") != std::string::npos);
  CHECK(t.text.find("drop:cedar_request (not JSON)") != std::string::npos);
}
