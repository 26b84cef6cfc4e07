#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "audit_test_support.hpp"
#include "support/wait_until.hpp"
#include "portcullis/audit/proof.hpp"
#include "portcullis/audit/scan.hpp"
#include "portcullis/audit/signer.hpp"
#include "portcullis/audit/verifier.hpp"

using namespace audit_test;
using nlohmann::json;

namespace {

AuditLogOptions options_for(const std::filesystem::path& dir) {
  AuditLogOptions o;
  o.dir = dir;
  o.product_version = "test";
  o.checkpoint_every_records = 10;
  return o;
}

VerifyReport verify_dir(const std::filesystem::path& dir, const VerifyingKey* key = nullptr) {
  VerifyOptions vo;
  vo.public_key = key;
  auto report = verify_files({dir}, vo);
  REQUIRE(report);
  if (report->problem) {
    INFO(report->problem->file << ":" << report->problem->line << ": "
                                << report->problem->message);
    CHECK(report->intact());
  }
  return *report;
}

std::vector<json> records_of(const std::filesystem::path& dir) {
  std::vector<json> out;
  auto n = scan_records(dir, [&](const json& r) { out.push_back(r); });
  REQUIRE(n);
  return out;
}


}  // namespace

TEST_CASE("appends get consecutive sequence numbers and the log verifies with signatures",
          "[audit][writer]") {
  TempDir dir;
  auto key = SigningKey::generate();
  REQUIRE(key);
  const auto key_file = dir.path() / "audit.key";
  std::ofstream(key_file) << key->private_pem();
  auto options = options_for(dir.path() / "log");
  options.signing_key = key_file;
  auto log = AuditLog::open(options);
  REQUIRE(log);
  std::uint64_t last = 0;
  for (int i = 0; i < 25; ++i) {
    auto receipt = append_sync(**log, sample_decision(i, i % 2 == 0));
    REQUIRE(receipt);
    CHECK(receipt->sequence > last);
    last = receipt->sequence;
  }
  (*log)->close();
  auto pub = key->verifying_key();
  REQUIRE(pub);
  const auto report = verify_dir(dir.path() / "log", &*pub);
  CHECK(report.intact());
  // 1 start checkpoint + 25 decisions + 2 count checkpoints + 1 close checkpoint.
  CHECK(report.records == 29);
  CHECK(report.signatures_checked == 4);
  CHECK(report.checkpoints == 4);
  CHECK_FALSE(report.signatures_skipped);
}

TEST_CASE("many concurrent appenders each get a receipt and no sequence is lost",
          "[audit][writer]") {
  TempDir dir;
  auto log = AuditLog::open(options_for(dir.path()));
  REQUIRE(log);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (append_sync(**log, sample_decision(t * 1000 + i))) {
          ++ok;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  (*log)->close();
  CHECK(ok == 400);
  CHECK((*log)->stats().appended == 400);
  CHECK((*log)->stats().batches < 400 + 50);  // group commit shares writes
  CHECK(verify_dir(dir.path()).intact());
}

TEST_CASE("a reopened log continues the same chain and sequence after a clean close",
          "[audit][writer]") {
  TempDir dir;
  std::string chain;
  {
    auto log = AuditLog::open(options_for(dir.path()));
    REQUIRE(log);
    REQUIRE(append_sync(**log, sample_decision(1)));
    (*log)->close();
  }
  auto log = AuditLog::open(options_for(dir.path()));
  REQUIRE(log);
  auto receipt = append_sync(**log, sample_decision(2));
  REQUIRE(receipt);
  CHECK(receipt->sequence == 4);  // start checkpoint, decision, close checkpoint, decision
  (*log)->close();
  const auto records = records_of(dir.path());
  for (const auto& r : records) {
    CHECK(r["unmapped"]["kind"] != "recovery");  // a clean close needs no recovery
  }
  CHECK(verify_dir(dir.path()).intact());
}

TEST_CASE("a second writer on the same directory gets a clear error", "[audit][writer]") {
  TempDir dir;
  auto first = AuditLog::open(options_for(dir.path()));
  REQUIRE(first);
  auto second = AuditLog::open(options_for(dir.path()));
  REQUIRE_FALSE(second);
  CHECK(second.error().message.find("in use by another writer") != std::string::npos);
  (*first)->close();
}

TEST_CASE("every kind of record reaches the log and scan_records reads them back",
          "[audit][writer]") {
  TempDir dir;
  auto log = AuditLog::open(options_for(dir.path()));
  REQUIRE(log);
  auto decision = append_sync(**log, sample_decision(1));
  REQUIRE(decision);
  OutcomeEvent outcome;
  outcome.correlation_uid = decision->uid;
  outcome.upstream_status = 200;
  REQUIRE(append_sync(**log, outcome));
  AdminEvent admin;
  admin.kind = AdminEvent::Kind::Quarantine;
  admin.agent = "spiffe://example.org/agent/bad";
  admin.operator_identity = "spiffe://example.org/ops/oncall";
  REQUIRE(append_sync(**log, admin));
  (*log)->close();
  const auto records = records_of(dir.path());
  std::vector<std::string> kinds;
  for (const auto& r : records) {
    kinds.push_back(r["unmapped"]["kind"]);
  }
  CHECK(kinds == std::vector<std::string>{"checkpoint", "decision", "outcome", "admin", "checkpoint"});
  CHECK(records[2]["metadata"]["correlation_uid"] == decision->uid);
  CHECK(records[3]["unmapped"]["admin"]["action"] == "quarantine");
}

TEST_CASE("rotation by size chains each file to the last record of the one before",
          "[audit][writer]") {
  TempDir dir;
  auto options = options_for(dir.path());
  options.rotate_bytes = 8 * 1024;
  auto log = AuditLog::open(options);
  REQUIRE(log);
  for (int i = 0; i < 40; ++i) {
    REQUIRE(append_sync(**log, sample_decision(i)));
  }
  (*log)->close();
  auto files = list_log_files(dir.path());
  REQUIRE(files);
  REQUIRE(files->size() >= 3);
  for (std::size_t i = 1; i < files->size(); ++i) {
    const auto prev = read_lines((*files)[i - 1]);
    const auto cur = read_lines((*files)[i]);
    REQUIRE(!prev.empty());
    REQUIRE(!cur.empty());
    const json last = json::parse(prev.back());
    const json first = json::parse(cur.front());
    CHECK(last["unmapped"]["checkpoint"]["reason"] == "rotate");
    CHECK(last["unmapped"]["checkpoint"]["next_file"] == (*files)[i].filename().string());
    CHECK(first["attestation_list"][0]["prev_event"]["uid"] == last["metadata"]["uid"]);
  }
  CHECK((*log)->stats().rotations == files->size() - 1);
  CHECK(verify_dir(dir.path()).intact());
}

TEST_CASE("retention keeps only the newest files and the rest verifies with --partial",
          "[audit][writer]") {
  TempDir dir;
  auto options = options_for(dir.path());
  options.rotate_bytes = 6 * 1024;
  options.retention_files = 2;
  auto log = AuditLog::open(options);
  REQUIRE(log);
  for (int i = 0; i < 60; ++i) {
    REQUIRE(append_sync(**log, sample_decision(i)));
  }
  (*log)->close();
  auto files = list_log_files(dir.path());
  REQUIRE(files);
  CHECK(files->size() == 2);
  auto strict = verify_files({dir.path()}, {});
  REQUIRE(strict);
  CHECK_FALSE(strict->intact());  // the start of the chain is gone
  VerifyOptions partial;
  partial.partial = true;
  auto report = verify_files({dir.path()}, partial);
  REQUIRE(report);
  CHECK(report->intact());
  CHECK(report->checkpoints >= 1);
}

TEST_CASE("rotation by time starts a new file after the interval", "[audit][writer]") {
  TempDir dir;
  auto options = options_for(dir.path());
  options.rotate_interval = std::chrono::seconds(1);
  const auto opened_at = std::chrono::steady_clock::now();
  auto log = AuditLog::open(options);
  REQUIRE(log);
  REQUIRE(append_sync(**log, sample_decision(1)));
  // The writer thread rotates when it wakes for the file's age; wait for that (a fixed sleep of
  // 1.3 s failed whenever the loaded machine woke it more than 0.3 s late: close() then wrote the
  // second record into the first file and never rotated).
  REQUIRE(portcullis::test::wait_until([&] { return (*log)->stats().rotations >= 1; },
                                        std::chrono::seconds(20)));
  CHECK(std::chrono::steady_clock::now() - opened_at >= std::chrono::seconds(1));  // not before
  REQUIRE(append_sync(**log, sample_decision(2)));
  (*log)->close();
  auto files = list_log_files(dir.path());
  REQUIRE(files);
  CHECK(files->size() >= 2);
  CHECK(verify_dir(dir.path()).intact());
}

TEST_CASE("a checkpoint is written after the checkpoint interval even without more records",
          "[audit][writer]") {
  TempDir dir;
  auto options = options_for(dir.path());
  options.checkpoint_every_records = 1000;
  options.checkpoint_interval = std::chrono::seconds(1);
  const auto opened_at = std::chrono::steady_clock::now();
  auto log = AuditLog::open(options);
  REQUIRE(log);
  REQUIRE(append_sync(**log, sample_decision(1)));
  // Wait for the writer thread's interval checkpoint to be written (the start checkpoint and the
  // decision were writes 1 and 2) instead of sleeping a little past the interval: the writer
  // thread may wake late on a loaded machine.
  REQUIRE(portcullis::test::wait_until(
      [&] {
        const auto stats = (*log)->stats();
        return stats.checkpoints >= 2 && stats.batches >= 3;
      },
      std::chrono::seconds(20)));
  CHECK(std::chrono::steady_clock::now() - opened_at >= std::chrono::seconds(1));  // not before
  const auto records = records_of(dir.path());
  REQUIRE(records.size() == 3);
  CHECK(records[2]["unmapped"]["checkpoint"]["reason"] == "interval");
  (*log)->close();
}

TEST_CASE("batched mode acknowledges appends and the log verifies", "[audit][writer]") {
  TempDir dir;
  auto options = options_for(dir.path());
  options.mode = DurabilityMode::Batched;
  auto log = AuditLog::open(options);
  REQUIRE(log);
  for (int i = 0; i < 30; ++i) {
    REQUIRE(append_sync(**log, sample_decision(i)));
  }
  (*log)->close();
  CHECK(verify_dir(dir.path()).intact());
}

TEST_CASE("a torn tail is cut at open and a recovery record says what was cut",
          "[audit][writer][recovery]") {
  TempDir dir;
  {
    auto log = AuditLog::open(options_for(dir.path()));
    REQUIRE(log);
    for (int i = 0; i < 3; ++i) {
      REQUIRE(append_sync(**log, sample_decision(i)));
    }
    (*log)->close();
  }
  auto files = list_log_files(dir.path());
  REQUIRE(files);
  const std::string torn = R"({"activity_id":99,"actor":{"app_na)";
  std::ofstream(files->back(), std::ios::app | std::ios::binary) << torn;
  auto log = AuditLog::open(options_for(dir.path()));
  REQUIRE(log);
  REQUIRE(append_sync(**log, sample_decision(9)));
  (*log)->close();
  const auto records = records_of(dir.path());
  const json* recovery = nullptr;
  for (const auto& r : records) {
    if (r["unmapped"]["kind"] == "recovery") {
      recovery = &r;
    }
  }
  REQUIRE(recovery != nullptr);
  CHECK((*recovery)["unmapped"]["recovery"]["cut_bytes"] == torn.size());
  CHECK((*recovery)["unmapped"]["recovery"]["last_good_sequence"] == 5);
  CHECK((*log)->stats().recoveries == 1);
  CHECK(verify_dir(dir.path()).intact());
}

TEST_CASE("damage in the middle of the log is never cut: open refuses",
          "[audit][writer][recovery]") {
  TempDir dir;
  {
    auto log = AuditLog::open(options_for(dir.path()));
    REQUIRE(log);
    for (int i = 0; i < 5; ++i) {
      REQUIRE(append_sync(**log, sample_decision(i)));
    }
    (*log)->close();
  }
  auto files = list_log_files(dir.path());
  REQUIRE(files);
  auto lines = read_lines(files->back());
  const auto pos = lines[2].find("hello 1");
  REQUIRE(pos != std::string::npos);
  lines[2][pos] = 'J';
  write_lines(files->back(), lines);
  const auto before = read_all(files->back());
  auto log = AuditLog::open(options_for(dir.path()));
  REQUIRE_FALSE(log);
  CHECK(log.error().message.find("damaged") != std::string::npos);
  CHECK(read_all(files->back()) == before);
}

TEST_CASE("a removed audit file fails the append, then the log recovers in a new file",
          "[audit][writer][failure]") {
  TempDir dir;
  auto options = options_for(dir.path());
  options.retry_interval = std::chrono::milliseconds(50);
  auto log = AuditLog::open(options);
  REQUIRE(log);
  REQUIRE(append_sync(**log, sample_decision(1)));
  auto files = list_log_files(dir.path());
  REQUIRE(files);
  // Keep a copy so the chain can still be verified end to end afterwards.
  const auto copy = dir.path() / "saved";
  std::filesystem::copy_file(files->back(), copy);
  std::filesystem::remove(files->back());
  auto failed = append_sync(**log, sample_decision(2));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message.find("removed") != std::string::npos);
  // healthy() was false from the failure until the writer's next try (which may already have
  // happened): last_error() keeps the reason, and the recovery is counted.
  CHECK((*log)->last_error().find("removed") != std::string::npos);
  auto again = append_sync(**log, sample_decision(3));
  REQUIRE(again);
  CHECK((*log)->healthy());
  CHECK((*log)->stats().recoveries >= 1);
  (*log)->close();
  std::filesystem::rename(copy, files->back());
  CHECK(verify_dir(dir.path()).intact());
  const auto records = records_of(dir.path());
  bool saw_recovery = false;
  for (const auto& r : records) {
    saw_recovery = saw_recovery || r["unmapped"]["kind"] == "recovery";
  }
  CHECK(saw_recovery);
}

TEST_CASE("appends after close fail inline", "[audit][writer]") {
  TempDir dir;
  auto log = AuditLog::open(options_for(dir.path()));
  REQUIRE(log);
  (*log)->close();
  auto r = append_sync(**log, sample_decision(1));
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("closed") != std::string::npos);
}

TEST_CASE("an unreadable signing key makes open fail", "[audit][writer]") {
  TempDir dir;
  auto options = options_for(dir.path());
  options.signing_key = dir.path() / "missing.key";
  auto log = AuditLog::open(options);
  REQUIRE_FALSE(log);
  CHECK(log.error().message.find("signing key") != std::string::npos);
}

TEST_CASE("an inclusion proof from the log verifies offline, and a forged one does not",
          "[audit][proof]") {
  TempDir dir;
  auto key = SigningKey::generate();
  REQUIRE(key);
  const auto key_file = dir.path() / "audit.key";
  std::ofstream(key_file) << key->private_pem();
  auto options = options_for(dir.path() / "log");
  options.signing_key = key_file;
  auto log = AuditLog::open(options);
  REQUIRE(log);
  for (int i = 0; i < 17; ++i) {
    REQUIRE(append_sync(**log, sample_decision(i)));
  }
  (*log)->close();
  auto files = list_log_files(dir.path() / "log");
  REQUIRE(files);
  auto proof = build_inclusion_proof(*files, 7);
  REQUIRE(proof);
  auto pub = key->verifying_key();
  REQUIRE(pub);
  const auto lines = read_lines(files->back());
  const std::string record7 = lines[6];
  auto ok = verify_inclusion_proof(*proof, &*pub, record7);
  CHECK(ok.valid);
  CHECK(ok.signature_checked);
  CHECK_FALSE(verify_inclusion_proof(*proof, &*pub, lines[5]).valid);  // another record
  json forged = *proof;
  forged["leaf_index"] = 5;
  CHECK_FALSE(verify_inclusion_proof(forged, &*pub, std::nullopt).valid);
  auto other = SigningKey::generate();
  REQUIRE(other);
  auto other_pub = other->verifying_key();
  REQUIRE(other_pub);
  CHECK_FALSE(verify_inclusion_proof(*proof, &*other_pub, std::nullopt).valid);
  CHECK_FALSE(build_inclusion_proof(*files, 999));
}

TEST_CASE("a directory holding only an empty audit file starts the chain in that file",
          "[audit][writer][recovery]") {
  TempDir dir;
  const auto empty = dir.path() / "audit-20260101-000000.jsonl";
  std::ofstream(empty).close();
  auto log = AuditLog::open(options_for(dir.path()));
  REQUIRE(log);
  REQUIRE(append_sync(**log, sample_decision(1)));
  (*log)->close();
  auto files = list_log_files(dir.path());
  REQUIRE(files);
  CHECK(files->size() == 1);
  CHECK(read_lines(empty).size() == 3);
  CHECK(verify_dir(dir.path()).intact());
}

TEST_CASE("a torn tail in a rotated file that has no checkpoint yet is cut and the chain resumes",
          "[audit][writer][recovery]") {
  // The Merkle tree is only known from a checkpoint: recovery must read back into the file
  // before (which ends with the rotation checkpoint) even when the newest one ends torn. A
  // SIGKILL in the middle of a write soon after a rotation leaves exactly this (the SIGKILL
  // crash test hit it now and then).
  TempDir dir;
  auto options = options_for(dir.path());
  options.rotate_bytes = 4 * 1024;
  options.checkpoint_every_records = 1000;
  {
    auto log = AuditLog::open(options);
    REQUIRE(log);
    for (int i = 0; i < 12; ++i) {
      REQUIRE(append_sync(**log, sample_decision(i)));
    }
    (*log)->close();
  }
  // Recreate the crash: keep the first rotated file's first record (a file begins with a
  // record; the rotation checkpoint ends the file before it) and half of a copy of it, as a
  // write cut short by the kill would leave, and drop everything written after.
  auto files = list_log_files(dir.path());
  REQUIRE(files);
  REQUIRE(files->size() >= 2);
  const auto rotated = (*files)[1];
  for (std::size_t i = 2; i < files->size(); ++i) {
    std::filesystem::remove((*files)[i]);
  }
  auto lines = read_lines(rotated);
  REQUIRE(!lines.empty());
  REQUIRE(json::parse(lines[0])["unmapped"]["kind"] != "checkpoint");
  const std::string torn = lines[0].substr(0, lines[0].size() / 2);
  write_lines(rotated, {lines[0]});
  std::ofstream(rotated, std::ios::app | std::ios::binary) << torn;

  auto log = AuditLog::open(options);
  REQUIRE(log);
  CHECK((*log)->stats().recoveries == 1);
  REQUIRE(append_sync(**log, sample_decision(99)));
  (*log)->close();
  const json* recovery = nullptr;
  const auto records = records_of(dir.path());
  for (const auto& r : records) {
    if (r["unmapped"]["kind"] == "recovery") {
      recovery = &r;
    }
  }
  REQUIRE(recovery != nullptr);
  CHECK((*recovery)["unmapped"]["recovery"]["cut_bytes"] == torn.size());
  CHECK(verify_dir(dir.path()).intact());
}

TEST_CASE("a log whose newest file ends with a rotation checkpoint continues in the named file",
          "[audit][writer][recovery]") {
  TempDir dir;
  auto options = options_for(dir.path());
  options.rotate_bytes = 4 * 1024;
  {
    auto log = AuditLog::open(options);
    REQUIRE(log);
    for (int i = 0; i < 4; ++i) {
      REQUIRE(append_sync(**log, sample_decision(i)));
    }
    (*log)->close();
  }
  // A crash between the rotation checkpoint and creating the next file leaves the previous
  // file's rotation checkpoint as the tail: recreate that state by removing the newest file.
  auto files = list_log_files(dir.path());
  REQUIRE(files);
  REQUIRE(files->size() >= 2);
  std::filesystem::remove(files->back());
  files = list_log_files(dir.path());
  const auto lines = read_lines(files->back());
  const json last = json::parse(lines.back());
  REQUIRE(last["unmapped"]["checkpoint"]["reason"] == "rotate");
  const std::string named = last["unmapped"]["checkpoint"]["next_file"];
  auto log = AuditLog::open(options);
  REQUIRE(log);
  REQUIRE(append_sync(**log, sample_decision(9)));
  (*log)->close();
  CHECK(std::filesystem::exists(dir.path() / named));
  CHECK(verify_dir(dir.path()).intact());
}
