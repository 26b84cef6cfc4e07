// Runs the real `portcullis` binary: validate's and check's output, exit codes and batch mode.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/concat.hpp"

namespace {

namespace fs = std::filesystem;

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("portcullis_cli_policy_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return path_ / name;
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Run run(const TempDir& dir, const std::string& args, const std::string& stdin_text = "") {
  const auto in = dir.write("stdin.txt", stdin_text);
  const auto out = dir.path() / "stdout.txt";
  const auto err = dir.path() / "stderr.txt";
  const std::string cmd = std::string(PORTCULLIS_BINARY) + " " + args + " < '" + in.string() +
                          "' > '" + out.string() + "' 2> '" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  Run r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

const char* kPolicies = R"(@id("tools") permit(principal in Team::"eng", action == Action::"tools/call", resource)
when { context.input.path like "/srv/*" };
@id("no-secrets") forbid(principal, action, resource) when { resource has secret && resource.secret };
)";

const char* kEntities = R"([{"uid": {"type": "Agent", "id": "a"}, "attrs": {}, "parents": [{"type": "Team", "id": "eng"}]},
 {"uid": {"type": "Tool", "id": "vault"}, "attrs": {"secret": true}, "parents": []}])";

std::string request_line(const std::string& tool, const std::string& path) {
  return R"({"principal":{"type":"Agent","id":"a"},"action":{"type":"Action","id":"tools/call"},"resource":{"type":"Tool","id":")" +
         tool + R"("},"context":{"input":{"path":")" + path + R"("}}})";
}

TEST_CASE("validate prints a summary and exits 0 for good policies", "[cli][policy]") {
  TempDir dir;
  dir.write("p.cedar", kPolicies);
  dir.write("e.json", kEntities);
  const auto r = run(dir, "validate --policies " + dir.path().string() + " --entities " +
                              (dir.path() / "e.json").string());
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("ok: 2 policies, 2 entities (policy set "));
}

TEST_CASE("validate prints every problem as file:line:column and exits 1", "[cli][policy]") {
  TempDir dir;
  const auto p = dir.write("bad.cedar",
                           "permit(principal, action, resource) when { 1 + };\n"
                           "permit(principal, action, resource) when { \"\\q\" };\n");
  const auto e = dir.write("e.json", "[{\"uid\": 1, \"attrs\": {}, \"parents\": []}]");
  const auto r = run(dir, "validate --policies " + p.string() + " --entities " + e.string());
  CHECK(r.exit_code == 1);
  CHECK(r.out == p.string() + ":1:48: expected an expression, found `}`\n" + p.string() +
                     ":2:44: invalid escape `\\q`\n" + e.string() +
                     ":1:10: entity #0: uid: expected an entity reference {\"type\": \"...\", \"id\": \"...\"}\n");
  CHECK_THAT(r.err, Catch::Contains("3 problems"));
}

TEST_CASE("check --request decides one request", "[cli][policy]") {
  TempDir dir;
  const auto p = dir.write("p.cedar", kPolicies);
  const auto e = dir.write("e.json", kEntities);
  const auto req = dir.write("r.json", request_line("search", "/srv/x"));
  const auto r = run(dir, "check --policies " + p.string() + " --entities " + e.string() +
                              " --request " + req.string());
  CHECK(r.exit_code == 0);
  CHECK(r.out == "{\"decision\":\"allow\",\"reasons\":[\"tools\"],\"errors\":[],\"diagnostics\":[]}\n");
}

TEST_CASE("check --batch answers one line per input line, in order", "[cli][policy]") {
  TempDir dir;
  const auto p = dir.write("p.cedar", kPolicies);
  const auto e = dir.write("e.json", kEntities);
  const std::string input = request_line("search", "/srv/x") + "\n" +
                            request_line("vault", "/srv/x") + "\n" +
                            request_line("search", "/etc/passwd") + "\n";
  const auto r = run(dir, "check --policies " + p.string() + " --entities " + e.string() +
                              " --batch -", input);
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "{\"decision\":\"allow\",\"reasons\":[\"tools\"],\"errors\":[],\"diagnostics\":[]}\n"
        "{\"decision\":\"deny\",\"reasons\":[\"no-secrets\"],\"errors\":[],\"diagnostics\":[]}\n"
        "{\"decision\":\"deny\",\"reasons\":[],\"errors\":[],\"diagnostics\":[]}\n");
}

TEST_CASE("check --batch names an unreadable line, keeps going and exits 2", "[cli][policy]") {
  TempDir dir;
  const auto p = dir.write("p.cedar", kPolicies);
  const std::string input = request_line("search", "/srv/x") + "\n{\"principal\": 1}\n" +
                            request_line("search", "/srv/y") + "\n";
  const auto r = run(dir, "check --policies " + p.string() + " --batch -", input);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("line 2: unreadable request"));
  std::istringstream lines(r.out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) ++count;
  CHECK(count == 3);
}

TEST_CASE("check reports errors of policies that could not be evaluated", "[cli][policy]") {
  TempDir dir;
  const auto p = dir.write("p.cedar", "permit(principal, action, resource) when { principal.age > 3 };");
  const auto r = run(dir, "check --policies " + p.string() + " --request -",
                     request_line("search", "/x"));
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "{\"decision\":\"deny\",\"reasons\":[],\"errors\":[\"policy0\"],\"diagnostics\":[\"policy0: "
        "entity Agent::\\\"a\\\" does not exist\"]}\n");
}

TEST_CASE("check refuses broken policies with exit 2 and their positions", "[cli][policy]") {
  TempDir dir;
  const auto p = dir.write("p.cedar", "permit(principal, action, resource) when { ( };");
  const auto r = run(dir, "check --policies " + p.string() + " --request -", "{}");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains(p.string() + ":1:46: expected an expression"));
}

TEST_CASE("check --batch handles tens of thousands of lines", "[cli][policy]") {
  TempDir dir;
  const auto p = dir.write("p.cedar", kPolicies);
  const auto e = dir.write("e.json", kEntities);
  std::string input;
  for (int i = 0; i < 20000; ++i) {
    input += request_line(portcullis::test::concat({"t", std::to_string(i)}),
                          portcullis::test::concat({"/srv/", std::to_string(i)}));
    input += '\n';
  }
  const auto r = run(dir, "check --policies " + p.string() + " --entities " + e.string() + " --batch -", input);
  CHECK(r.exit_code == 0);
  std::size_t lines = 0;
  for (char c : r.out) lines += c == '\n' ? 1 : 0;
  CHECK(lines == 20000);
}

}  // namespace
