#include "portcullis/common/diagnostic.hpp"

#include <catch2/catch.hpp>

using portcullis::Diagnostic;

TEST_CASE("A diagnostic prints file, line, column and message", "[common][diagnostic]") {
  CHECK(Diagnostic{"p.cedar", 3, 14, "unexpected token"}.to_string() ==
        "p.cedar:3:14: unexpected token");
}

TEST_CASE("A diagnostic without a position prints only the file", "[common][diagnostic]") {
  CHECK(Diagnostic{"e.json", 0, 0, "not found"}.to_string() == "e.json: not found");
  CHECK(Diagnostic{"e.json", 7, 0, "bad"}.to_string() == "e.json:7: bad");
  CHECK(Diagnostic{"", 1, 2, "x"}.to_string() == "<input>:1:2: x");
}
