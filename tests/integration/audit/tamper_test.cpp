// `audit verify` against every way of tampering with a log: each case copies a signed,
// rotated log, changes it the way an attacker would, and checks the first bad record is named.
#include <catch2/catch.hpp>

#include "audit_test_support.hpp"
#include "portcullis/audit/digest.hpp"
#include "portcullis/audit/jcs.hpp"
#include "portcullis/audit/record.hpp"
#include "portcullis/audit/signer.hpp"
#include "portcullis/audit/verifier.hpp"

using namespace audit_test;
using nlohmann::json;

namespace {

struct Fixture {
  TempDir dir;
  std::filesystem::path log_dir;
  std::vector<std::filesystem::path> files;
  std::optional<SigningKey> key;
  std::optional<VerifyingKey> pub;

  Fixture() {
    key = *SigningKey::generate();
    pub = *key->verifying_key();
    const auto key_file = dir.path() / "audit.key";
    std::ofstream(key_file) << key->private_pem();
    log_dir = dir.path() / "log";
    AuditLogOptions o;
    o.dir = log_dir;
    o.signing_key = key_file;
    o.rotate_bytes = 12 * 1024;
    o.checkpoint_every_records = 5;
    auto log = AuditLog::open(o);
    REQUIRE(log);
    for (int i = 0; i < 30; ++i) {
      REQUIRE(append_sync(**log, sample_decision(i, i % 4 != 0)));
    }
    (*log)->close();
    files = *list_log_files(log_dir);
    REQUIRE(files.size() >= 3);
  }

  [[nodiscard]] VerifyReport verify(bool with_key = true) const {
    VerifyOptions vo;
    vo.public_key = with_key ? &*pub : nullptr;
    auto r = verify_files(files, vo);
    REQUIRE(r);
    return *r;
  }
};

// What an attacker who knows the format does after editing a record: recompute its fingerprint.
std::string refingerprint(const std::string& line) {
  json r = json::parse(line);
  r["attestation_list"][0].erase("fingerprint");
  const Digest fp = sha256(jcs(r));
  r["attestation_list"][0]["fingerprint"] = {{"algorithm", "SHA-256"},
                                             {"algorithm_id", 3},
                                             {"serialization", "JCS"},
                                             {"serialization_id", 2},
                                             {"value", to_hex(fp)}};
  return jcs(r);
}

std::uint64_t seq_of(const std::string& line) {
  return json::parse(line)["metadata"]["sequence"].get<std::uint64_t>();
}

void expect_problem(const VerifyReport& r, Tamper kind, const std::filesystem::path& file,
                    std::uint64_t line) {
  REQUIRE(r.problem);
  INFO(r.problem->message);
  CHECK(r.problem->kind == kind);
  CHECK(r.problem->file == file.string());
  CHECK(r.problem->line == line);
}

}  // namespace

TEST_CASE("the untouched log verifies, signatures included", "[audit][tamper]") {
  Fixture f;
  const auto r = f.verify();
  CHECK(r.intact());
  CHECK(r.signatures_checked >= 6);
  CHECK(r.files == f.files.size());
}

TEST_CASE("editing one byte of a field is reported as altered at that record",
          "[audit][tamper]") {
  Fixture f;
  auto lines = read_lines(f.files[1]);
  std::size_t i = 1;
  while (lines[i].find("tools/echo") == std::string::npos) {
    ++i;
  }
  const auto pos = lines[i].find("tools/echo");
  lines[i][pos] = 'T';
  write_lines(f.files[1], lines);
  const auto r = f.verify();
  expect_problem(r, Tamper::Altered, f.files[1], i + 1);
  CHECK(r.problem->sequence == seq_of(lines[i]));
}

TEST_CASE("an edited record with a recomputed fingerprint is caught by the next record's link",
          "[audit][tamper]") {
  Fixture f;
  auto lines = read_lines(f.files[1]);
  json r = json::parse(lines[1]);
  r["message"] = "edited after the fact";
  lines[1] = refingerprint(jcs(r));
  write_lines(f.files[1], lines);
  const auto report = f.verify();
  expect_problem(report, Tamper::Altered, f.files[1], 2);
}

TEST_CASE("deleting a line is reported as removed at the record after the gap",
          "[audit][tamper]") {
  Fixture f;
  auto lines = read_lines(f.files[1]);
  lines.erase(lines.begin() + 2);
  write_lines(f.files[1], lines);
  const auto r = f.verify();
  expect_problem(r, Tamper::Removed, f.files[1], 3);
}

TEST_CASE("swapping two lines is reported as reordered", "[audit][tamper]") {
  Fixture f;
  auto lines = read_lines(f.files[1]);
  std::swap(lines[1], lines[2]);
  write_lines(f.files[1], lines);
  const auto r = f.verify();
  expect_problem(r, Tamper::Reordered, f.files[1], 2);
}

TEST_CASE("duplicating a line is reported as inserted", "[audit][tamper]") {
  Fixture f;
  auto lines = read_lines(f.files[1]);
  lines.insert(lines.begin() + 2, lines[1]);
  write_lines(f.files[1], lines);
  const auto r = f.verify();
  expect_problem(r, Tamper::Inserted, f.files[1], 3);
}

TEST_CASE("a forged record inserted with the next sequence number is reported as inserted",
          "[audit][tamper]") {
  Fixture f;
  auto lines = read_lines(f.files[1]);
  // Forge a copy of record 1 claiming to come right after it, properly linked and fingerprinted.
  json forged = json::parse(lines[1]);
  const json prev = json::parse(lines[1]);
  forged["metadata"]["sequence"] = prev["metadata"]["sequence"].get<std::uint64_t>() + 1;
  forged["metadata"]["uid"] = "forged-uid";
  forged["attestation_list"][0]["prev_event"] = {
      {"uid", prev["metadata"]["uid"]}, {"fingerprint", prev["attestation_list"][0]["fingerprint"]}};
  lines.insert(lines.begin() + 2, refingerprint(jcs(forged)));
  write_lines(f.files[1], lines);
  const auto r = f.verify();
  expect_problem(r, Tamper::Inserted, f.files[1], 3);
}

TEST_CASE("cutting the last file in the middle of a line is reported as truncated",
          "[audit][tamper]") {
  Fixture f;
  const std::string all = read_all(f.files.back());
  std::ofstream(f.files.back(), std::ios::binary | std::ios::trunc) << all.substr(0, all.size() - 40);
  const auto lines = read_lines(f.files.back());
  const auto r = f.verify();
  expect_problem(r, Tamper::Truncated, f.files.back(), lines.size());
}

TEST_CASE("dropping the last file of a rotation set is reported as removed", "[audit][tamper]") {
  Fixture f;
  f.files.pop_back();
  const auto r = f.verify();
  const auto lines = read_lines(f.files.back());
  expect_problem(r, Tamper::Removed, f.files.back(), lines.size());
  CHECK(r.problem->message.find("not given") != std::string::npos);
}

TEST_CASE("dropping a file in the middle of a rotation set is reported as removed",
          "[audit][tamper]") {
  Fixture f;
  const auto dropped = f.files[1];
  f.files.erase(f.files.begin() + 1);
  const auto r = f.verify();
  REQUIRE(r.problem);
  CHECK(r.problem->kind == Tamper::Removed);
  CHECK(r.problem->message.find(dropped.filename().string()) != std::string::npos);
}

TEST_CASE("a checkpoint re-signed with another key is a bad signature, and only with the key",
          "[audit][tamper]") {
  Fixture f;
  auto lines = read_lines(f.files.back());
  json cp = json::parse(lines.back());
  REQUIRE(cp["unmapped"]["kind"] == "checkpoint");
  auto attacker = SigningKey::generate();
  REQUIRE(attacker);
  const auto& c = cp["unmapped"]["checkpoint"];
  const std::string payload = checkpoint_signing_payload(
      cp["attestation_list"][0]["chain_uid"].get<std::string>(), c["tree_size"].get<std::uint64_t>(),
      c["root"].get<std::string>(), cp["time"].get<std::int64_t>());
  cp["unmapped"]["checkpoint"]["signature"] = base64_encode(*attacker->sign(payload));
  cp["unmapped"]["checkpoint"]["key_id"] = attacker->key_id();
  lines.back() = refingerprint(jcs(cp));
  write_lines(f.files.back(), lines);
  const auto r = f.verify();
  expect_problem(r, Tamper::BadSignature, f.files.back(), lines.size());
  const auto without_key = f.verify(false);
  CHECK(without_key.intact());
  CHECK(without_key.signatures_skipped);
}

TEST_CASE("a checkpoint whose root was changed is reported as altered", "[audit][tamper]") {
  Fixture f;
  auto lines = read_lines(f.files.back());
  json cp = json::parse(lines.back());
  cp["unmapped"]["checkpoint"]["root"] = to_hex(sha256("other"));
  lines.back() = refingerprint(jcs(cp));
  write_lines(f.files.back(), lines);
  const auto r = f.verify(false);
  expect_problem(r, Tamper::Altered, f.files.back(), lines.size());
  CHECK(r.problem->message.find("root") != std::string::npos);
}

TEST_CASE("a line that is not JSON is reported as altered", "[audit][tamper]") {
  Fixture f;
  auto lines = read_lines(f.files[0]);
  lines[3] = "garbage";
  write_lines(f.files[0], lines);
  expect_problem(f.verify(), Tamper::Altered, f.files[0], 4);
}

TEST_CASE("an unreadable file is an error, not a verdict", "[audit][tamper]") {
  auto r = verify_files({"/nonexistent/audit-20260101-000000.jsonl"}, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("cannot read") != std::string::npos);
}
