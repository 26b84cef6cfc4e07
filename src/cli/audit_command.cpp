// `portcullis audit verify|proof|verify-proof|tail`: checking and reading the audit log.
// Exit codes: 0 intact/valid, 1 tampered/invalid, 2 unreadable input or usage error.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "cli/read_input.hpp"
#include "portcullis/audit/file_data.hpp"
#include "portcullis/audit/proof.hpp"
#include "portcullis/audit/signer.hpp"
#include "portcullis/audit/verifier.hpp"

namespace portcullis::cli {

namespace {

using nlohmann::json;

struct VerifyArgs {
  std::vector<std::string> files;
  std::string public_key;
  bool json_output = false;
  bool partial = false;
};

json report_json(const audit::VerifyReport& r) {
  json out = {{"intact", r.intact()},
              {"files", r.files},
              {"records", r.records},
              {"first_sequence", r.first_sequence},
              {"last_sequence", r.last_sequence},
              {"chain_uid", r.chain_uid},
              {"checkpoints_checked", r.checkpoints},
              {"signatures_checked", r.signatures_checked},
              {"signatures_skipped", r.signatures_skipped},
              {"unwritten_bytes", r.unwritten_bytes},
              {"notes", r.notes}};
  if (r.problem) {
    out["problem"] = {{"kind", audit::to_string(r.problem->kind)},
                      {"file", r.problem->file},
                      {"line", r.problem->line},
                      {"message", r.problem->message}};
    out["problem"]["sequence"] = r.problem->sequence ? json(*r.problem->sequence) : json(nullptr);
  }
  return out;
}

int run_verify(const VerifyArgs& args) {
  std::optional<audit::VerifyingKey> key;
  if (!args.public_key.empty()) {
    auto loaded = audit::VerifyingKey::load(args.public_key);
    if (!loaded) {
      std::cerr << "portcullis audit verify: " << loaded.error().message << "\n";
      return 2;
    }
    key = std::move(*loaded);
  }
  std::vector<std::filesystem::path> files(args.files.begin(), args.files.end());
  audit::VerifyOptions options;
  options.public_key = key ? &*key : nullptr;
  options.partial = args.partial;
  const auto started = std::chrono::steady_clock::now();
  auto report = audit::verify_files(files, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!report) {
    if (args.json_output) {
      std::cout << json{{"intact", nullptr}, {"error", report.error().message}}.dump() << "\n";
    }
    std::cerr << "portcullis audit verify: " << report.error().message << "\n";
    return 2;
  }
  if (args.json_output) {
    json out = report_json(*report);
    out["seconds"] = seconds;
    std::cout << out.dump() << "\n";
  } else if (report->intact()) {
    std::cout << "intact: " << report->records << " records in " << report->files
              << " file(s), sequence " << report->first_sequence << ".." << report->last_sequence
              << ", " << report->checkpoints << " checkpoint root(s) checked\n";
    if (report->signatures_skipped) {
      std::cout << "signatures: NOT checked (no --public-key given): everything else was\n";
    } else {
      std::cout << "signatures: " << report->signatures_checked << " checked\n";
    }
    for (const auto& note : report->notes) {
      std::cout << "note: " << note << "\n";
    }
  } else {
    const auto& p = *report->problem;
    std::cout << "TAMPERED: " << p.file << ":" << p.line;
    if (p.sequence) {
      std::cout << ": sequence " << *p.sequence;
    }
    std::cout << ": " << audit::to_string(p.kind) << ": " << p.message << "\n";
    std::cout << "(" << report->records << " records before it verified)\n";
  }
  return report->intact() ? 0 : 1;
}

int run_proof(const std::vector<std::string>& files, std::uint64_t seq) {
  for (const auto& f : files) {
    std::ifstream probe(f);
    if (!probe) {
      std::cerr << "portcullis audit proof: cannot read " << f << "\n";
      return 2;
    }
  }
  auto proof = audit::build_inclusion_proof({files.begin(), files.end()}, seq);
  if (!proof) {
    std::cerr << "portcullis audit proof: " << proof.error().message << "\n";
    return 1;
  }
  std::cout << proof->dump(2) << "\n";
  return 0;
}

int run_verify_proof(const std::string& proof_path, const std::string& record_path,
                     const std::string& public_key) {
  const auto text = read_input(proof_path);
  if (!text) {
    std::cerr << "portcullis audit verify-proof: cannot read " << proof_path << "\n";
    return 2;
  }
  const json proof = json::parse(*text, nullptr, false);
  if (proof.is_discarded()) {
    std::cerr << "portcullis audit verify-proof: " << proof_path << " is not JSON\n";
    return 2;
  }
  std::optional<std::string> record;
  if (!record_path.empty()) {
    record = read_input(record_path);
    if (!record) {
      std::cerr << "portcullis audit verify-proof: cannot read " << record_path << "\n";
      return 2;
    }
    while (!record->empty() && (record->back() == '\n' || record->back() == '\r')) {
      record->pop_back();
    }
  }
  std::optional<audit::VerifyingKey> key;
  if (!public_key.empty()) {
    auto loaded = audit::VerifyingKey::load(public_key);
    if (!loaded) {
      std::cerr << "portcullis audit verify-proof: " << loaded.error().message << "\n";
      return 2;
    }
    key = std::move(*loaded);
  }
  const auto check = audit::verify_inclusion_proof(proof, key ? &*key : nullptr, record);
  std::cout << (check.valid ? "valid: " : "INVALID: ") << check.message << "\n";
  if (check.valid && !check.signature_checked) {
    std::cout << "signature: NOT checked (no --public-key given)\n";
  }
  return check.valid ? 0 : 1;
}

// One line for a person: sequence, time, kind and what happened.
std::string pretty(const json& r) {
  std::ostringstream out;
  const auto& m = r.value("metadata", json::object());
  const auto& u = r.value("unmapped", json::object());
  const std::int64_t ms = r.value("time", std::int64_t{0});
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char when[64];
  const std::size_t n = std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(when + n, sizeof when - n, ".%03dZ", static_cast<int>(ms % 1000));
  const std::string kind = u.value("kind", "?");
  out << "#" << m.value("sequence", std::uint64_t{0}) << "  " << when;
  const std::string s = out.str();
  std::ostringstream rest;
  rest << "  " << kind;
  if (kind == "decision") {
    rest << "  " << (u.value("decision", "") == "allow" ? "ALLOW" : "DENY ") << "  "
         << r.value("actor", json::object()).value("user", json::object()).value("uid", "-")
         << "  " << u.value("action", "") << "  ";
    const auto& res = r.value("resources", json::array());
    rest << (res.empty() ? std::string("-") : res[0].value("uid", "-"));
    const auto& ids = u.value("policy_ids", json::array());
    if (!ids.empty()) {
      rest << "  policy " << ids[0].get<std::string>();
    }
    if (r.contains("message")) {
      rest << "  \"" << r["message"].get<std::string>() << "\"";
    }
  } else if (kind == "outcome") {
    rest << "  " << u.value("upstream_status", 0) << "  " << u.value("latency_us", 0) << "us  for "
         << m.value("correlation_uid", "");
    if (!u.value("error", "").empty()) {
      rest << "  error: " << u.value("error", "");
    }
  } else if (kind == "admin") {
    const auto& a = u.value("admin", json::object());
    rest << "  " << a.value("action", "") << "  " << a.value("agent", "") << "  by "
         << a.value("operator", "") << "  " << a.value("reason", "");
  } else if (kind == "checkpoint") {
    const auto& c = u.value("checkpoint", json::object());
    rest << "  " << c.value("reason", "") << "  tree_size " << c.value("tree_size", 0ull)
         << "  root " << c.value("root", "").substr(0, 16) << "…"
         << (c.contains("signature") ? "  signed" : "  unsigned");
  } else if (kind == "recovery") {
    const auto& c = u.value("recovery", json::object());
    rest << "  " << c.value("reason", "") << "  cut " << c.value("cut_bytes", 0ull)
         << " bytes after sequence " << c.value("last_good_sequence", 0ull);
  }
  return s + rest.str();
}

// The file is read by offset, up to the end of its data (portcullis/audit/file_data.hpp): a
// writer that preallocates writes its records over NUL bytes without changing the file's size,
// so following it means reading again from the end of the last complete line, not from where a
// stream reached the end of the file.
int run_tail(const std::string& file, std::size_t count, bool follow) {
  std::filesystem::path path(file);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::cerr << "portcullis audit tail: cannot read " << file << "\n";
    return 2;
  }
  std::string next_file;
  auto show = [&](std::string_view text) {
    const json r = json::parse(text, nullptr, false);
    if (r.is_discarded()) {
      std::cout << "(unreadable line)\n";
      return;
    }
    std::cout << pretty(r) << "\n";
    const auto& cp = r.value("unmapped", json::object()).value("checkpoint", json::object());
    if (cp.value("reason", "") == "rotate") {
      next_file = cp.value("next_file", "");
    }
  };
  std::deque<std::string> last;
  auto read = audit::read_lines(
      fd, 0, audit::TailCheck::Stop,
      [&](std::string_view line) {
        last.emplace_back(line);
        if (last.size() > count) {
          last.pop_front();
        }
      },
      path.string());
  if (!read) {
    ::close(fd);
    std::cerr << "portcullis audit tail: " << read.error().message << "\n";
    return 2;
  }
  std::uint64_t offset = read->lines_end;  // just after the last complete line shown
  for (const auto& l : last) {
    show(l);
  }
  std::cout.flush();
  if (!follow) {
    ::close(fd);
    return 0;
  }
  while (true) {
    if (fd >= 0) {
      bool got = false;
      read = audit::read_lines(
          fd, offset, audit::TailCheck::Stop,
          [&](std::string_view line) {
            show(line);
            got = true;
          },
          path.string());
      if (!read) {
        ::close(fd);
        std::cerr << "portcullis audit tail: " << read.error().message << "\n";
        return 2;
      }
      offset = read->lines_end;
      if (got) {
        std::cout.flush();
      }
    }
    if (!next_file.empty()) {
      // Rotated: the next file may not exist yet; keep trying to open it.
      const auto next = path.parent_path() / next_file;
      const int next_fd = ::open(next.c_str(), O_RDONLY | O_CLOEXEC);
      if (next_fd >= 0) {
        if (fd >= 0) {
          ::close(fd);
        }
        fd = next_fd;
        path = next;
        offset = 0;
        next_file.clear();
        continue;
      }
      if (fd >= 0) {
        ::close(fd);
        fd = -1;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

void add_audit_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("audit", "Verify and read the tamper-evident audit log");
  cmd->require_subcommand(1);

  auto verify_args = std::make_shared<VerifyArgs>();
  auto* verify = cmd->add_subcommand(
      "verify", "Check the chain, sequence, checkpoints and signatures (exit 0 intact, 1 "
                "tampered, 2 unreadable)");
  verify->add_option("files", verify_args->files,
                     "Audit files in order (a directory means its audit-*.jsonl files)")
      ->required();
  verify->add_option("--public-key", verify_args->public_key,
                     "Ed25519 public key (SPKI PEM) to check checkpoint signatures");
  verify->add_flag("--json", verify_args->json_output, "Machine-readable output");
  verify->add_flag("--partial", verify_args->partial,
                   "The files are part of a longer log (older files deleted, or newer not given)");
  verify->callback([&exit_code, verify_args] { exit_code = run_verify(*verify_args); });

  auto proof_files = std::make_shared<std::vector<std::string>>();
  auto proof_seq = std::make_shared<std::uint64_t>(0);
  auto* proof = cmd->add_subcommand(
      "proof", "Print the RFC 9162 inclusion proof of a record against the latest checkpoint");
  proof->add_option("files", *proof_files, "Audit files of the whole chain, in order")->required();
  proof->add_option("--seq", *proof_seq, "metadata.sequence of the record")->required();
  proof->callback([&exit_code, proof_files, proof_seq] {
    exit_code = run_proof(*proof_files, *proof_seq);
  });

  auto vp_proof = std::make_shared<std::string>();
  auto vp_record = std::make_shared<std::string>();
  auto vp_key = std::make_shared<std::string>();
  auto* verify_proof = cmd->add_subcommand(
      "verify-proof", "Check an inclusion proof offline (exit 0 valid, 1 invalid, 2 unreadable)");
  verify_proof->add_option("proof", *vp_proof, "Proof JSON from `audit proof` (- for stdin)")
      ->required();
  verify_proof->add_option("--record", *vp_record,
                           "The record's line, to check it is the record proven");
  verify_proof->add_option("--public-key", *vp_key, "Ed25519 public key (SPKI PEM)");
  verify_proof->callback([&exit_code, vp_proof, vp_record, vp_key] {
    exit_code = run_verify_proof(*vp_proof, *vp_record, *vp_key);
  });

  auto tail_file = std::make_shared<std::string>();
  auto tail_count = std::make_shared<std::size_t>(20);
  auto tail_follow = std::make_shared<bool>(false);
  auto* tail = cmd->add_subcommand("tail", "Show the latest records, one line each");
  tail->add_option("file", *tail_file, "An audit file")->required();
  tail->add_option("-n,--lines", *tail_count, "How many records to show first (default 20)");
  tail->add_flag("-f,--follow", *tail_follow, "Keep showing records as they are written");
  tail->callback([&exit_code, tail_file, tail_count, tail_follow] {
    exit_code = run_tail(*tail_file, *tail_count, *tail_follow);
  });
}

}  // namespace portcullis::cli
