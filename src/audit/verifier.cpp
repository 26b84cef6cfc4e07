#include "portcullis/audit/verifier.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "audit/json_tape.hpp"
#include "portcullis/audit/file_data.hpp"
#include "portcullis/audit/record.hpp"
#include "portcullis/audit/signer.hpp"

namespace portcullis::audit {

using detail::JsonTape;

const char* to_string(Tamper kind) {
  switch (kind) {
    case Tamper::Altered:
      return "altered";
    case Tamper::Removed:
      return "removed";
    case Tamper::Reordered:
      return "reordered";
    case Tamper::Inserted:
      return "inserted";
    case Tamper::Truncated:
      return "truncated";
    case Tamper::BadSignature:
      return "bad signature";
  }
  return "unknown";
}

ChainVerifier::ChainVerifier(VerifyOptions options)
    : options_(options), tape_(std::make_unique<JsonTape>()) {
  report_.signatures_skipped = options_.public_key == nullptr;
  canonical_.reserve(4096);
}

ChainVerifier::~ChainVerifier() = default;

void ChainVerifier::problem(Tamper kind, std::uint64_t line, std::optional<std::uint64_t> seq,
                            std::string message, const std::string* file) {
  if (report_.problem) {
    return;
  }
  VerifyProblem p;
  p.kind = kind;
  p.file = file != nullptr ? *file : file_;
  p.line = line;
  p.sequence = seq;
  p.message = std::move(message);
  report_.problem = std::move(p);
}

void ChainVerifier::begin_file(std::string name) {
  ++report_.files;
  if (!failed() && !tip_.next_file.empty()) {
    const std::string given = std::filesystem::path(name).filename().string();
    if (given != tip_.next_file) {
      problem(Tamper::Removed, 1, std::nullopt,
              "the rotation checkpoint at the end of " + rotation_file_ + " names the next file " +
                  tip_.next_file + ", but the next file given is " + given +
                  " (a file is missing or the files are out of order)",
              &name);
    }
    tip_.next_file.clear();
  }
  file_ = std::move(name);
  line_ = 0;
}

void ChainVerifier::look_ahead(std::string_view line) {
  if (!tape_->parse(line)) {
    return;
  }
  std::uint64_t seq = 0;
  if (tape_->unsigned_integer(tape_->member(tape_->member(0, "metadata"), "sequence"), seq) &&
      seq == *searching_for_) {
    report_.problem->kind = Tamper::Reordered;
    report_.problem->message += "; record " + std::to_string(seq) + " appears later, in " +
                                file_ + " line " + std::to_string(line_);
    searching_for_.reset();
  }
}

bool ChainVerifier::feed_line(std::string_view line, bool complete) {
  ++line_;
  if (failed()) {
    if (searching_for_ && complete) {
      look_ahead(line);
    }
    return false;
  }
  if (!complete) {
    problem(Tamper::Truncated, line_, std::nullopt,
            "the file ends in the middle of a record (" + std::to_string(line.size()) +
                " bytes after the last complete line)");
    return false;
  }
  if (line.empty()) {
    problem(Tamper::Inserted, line_, std::nullopt, "an empty line is not a record");
    return false;
  }
  JsonTape& t = *tape_;
  if (!t.parse(line) || t.node(0).type != detail::NodeType::Object) {
    problem(Tamper::Altered, line_, std::nullopt,
            "not a JSON record" + (t.error().empty() ? std::string() : ": " + t.error()));
    return false;
  }
  const std::uint32_t metadata = t.member(0, "metadata");
  std::uint64_t seq = 0;
  const bool has_seq = t.unsigned_integer(t.member(metadata, "sequence"), seq);
  const std::optional<std::uint64_t> seq_opt =
      has_seq ? std::optional<std::uint64_t>(seq) : std::nullopt;
  const std::uint32_t att = t.element(t.member(0, "attestation_list"), 0);
  const std::uint32_t fp_node = t.member(att, "fingerprint");
  const auto own = digest_from_hex(t.string(t.member(fp_node, "value")));
  std::int64_t algorithm = 0;
  if (!has_seq || !t.is_string(t.member(metadata, "uid")) || att == JsonTape::kNone || !own ||
      !t.signed_integer(t.member(fp_node, "algorithm_id"), algorithm) ||
      algorithm != kFingerprintAlgorithmSha256) {
    problem(Tamper::Altered, line_, seq_opt,
            "the record lacks its chain fields (metadata.sequence, metadata.uid, "
            "attestation_list[0].fingerprint with algorithm_id 3)");
    return false;
  }
  hasher_.reset();
  std::string_view head;
  std::string_view tail;
  if (t.canonical_without(fp_node, head, tail)) {
    // The writer's lines are their own JCS form: hash the line around the fingerprint member
    // instead of writing the canonical form out again (most of verify's time before).
    hasher_.update(head);
    hasher_.update(tail);
  } else {
    canonical_.clear();
    if (!t.write_canonical(canonical_, fp_node)) {
      problem(Tamper::Altered, line_, seq_opt, "the record has no canonical form: " + t.error());
      return false;
    }
    hasher_.update(canonical_);
  }
  const Digest computed = hasher_.finish();
  if (computed != *own) {
    problem(Tamper::Altered, line_, seq_opt, "the record's content does not match its fingerprint");
    return false;
  }
  const std::string_view uid = t.string(t.member(metadata, "uid"));
  const std::string_view chain_uid = t.string(t.member(att, "chain_uid"));
  const std::uint32_t prev = t.member(att, "prev_event");
  const std::string_view prev_uid = t.string(t.member(prev, "uid"));
  const auto prev_fp = digest_from_hex(t.string(t.member(t.member(prev, "fingerprint"), "value")));
  const std::uint32_t unmapped = t.member(0, "unmapped");
  const std::string_view kind = t.string(t.member(unmapped, "kind"));
  std::int64_t time = 0;
  (void)t.signed_integer(t.member(0, "time"), time);

  if (prev != JsonTape::kNone && (!prev_fp || prev_uid.empty())) {
    problem(Tamper::Altered, line_, seq, "prev_event lacks its uid or fingerprint");
    return false;
  }
  if (!tip_.started) {
    tip_.chain_uid = chain_uid;
    report_.chain_uid = chain_uid;
    report_.first_sequence = seq;
    if (prev == JsonTape::kNone) {
      if (seq != 1) {
        problem(Tamper::Altered, line_, seq,
                "a record without prev_event must be the chain's first record (sequence 1)");
        return false;
      }
      tip_.tree_known = true;
    } else if (!options_.partial) {
      problem(Tamper::Removed, line_, seq,
              "the log does not start at the beginning of its chain: the first record given is "
              "sequence " + std::to_string(seq) +
                  " and links to an earlier record (earlier files missing? use --partial to "
                  "verify part of a log)");
      return false;
    } else {
      report_.notes.push_back("verification starts mid-chain at sequence " + std::to_string(seq) +
                              " (--partial)");
    }
  } else {
    const std::uint64_t expected = tip_.sequence + 1;
    const bool linked = prev != JsonTape::kNone && prev_uid == tip_.uid && *prev_fp == tip_.fingerprint;
    if (chain_uid != tip_.chain_uid) {
      problem(Tamper::Inserted, line_, seq,
              "the record belongs to another chain (chain_uid " + std::string(chain_uid) + ")");
      return false;
    }
    if (!tip_.next_file.empty()) {
      problem(Tamper::Inserted, line_, seq, "a record follows the rotation checkpoint in the same file");
      return false;
    }
    if (prev == JsonTape::kNone) {
      problem(Tamper::Inserted, line_, seq, "a second chain start (no prev_event) inside the log");
      return false;
    }
    if (!(seq == expected && linked)) {
      if (seq == tip_.sequence && uid == tip_.uid) {
        problem(Tamper::Inserted, line_, seq,
                "duplicate of the previous record (sequence " + std::to_string(seq) + ")");
      } else if (prev_uid == prev2_uid_ && *prev_fp == prev2_fingerprint_ && seq == tip_.sequence) {
        problem(Tamper::Inserted, tip_line_, tip_.sequence,
                "the record is not part of the chain: the next record links past it to the one "
                "before",
                &tip_file_);
      } else if (prev_uid == tip_.uid && seq == expected) {
        problem(Tamper::Altered, tip_line_, tip_.sequence,
                "the record was changed and its fingerprint recomputed: the next record's "
                "prev_event holds a different fingerprint",
                &tip_file_);
      } else if (seq == expected) {
        problem(Tamper::Altered, tip_line_, tip_.sequence,
                "the record was replaced: the next record links to a different record (uid " +
                    std::string(prev_uid) + ")",
                &tip_file_);
      } else if (seq > expected) {
        const std::uint64_t missing = seq - expected;
        problem(Tamper::Removed, line_, seq,
                std::to_string(missing) + (missing == 1 ? " record is" : " records are") +
                    " missing before this one: expected sequence " + std::to_string(expected) +
                    " after " + std::to_string(tip_.sequence));
        searching_for_ = expected;
      } else {
        problem(Tamper::Inserted, line_, seq,
                "sequence goes back from " + std::to_string(tip_.sequence) + " to " +
                    std::to_string(seq) + " (a copied or moved record)");
      }
      return false;
    }
  }

  if (kind == "checkpoint") {
    if (!check_checkpoint(t.member(unmapped, "checkpoint"), seq, time)) {
      return false;
    }
  }

  if (tip_.tree_known) {
    tip_.tree.append_leaf(merkle_leaf_hash(computed));
  }
  prev2_uid_ = tip_.uid;
  prev2_fingerprint_ = tip_.fingerprint;
  tip_.started = true;
  tip_.sequence = seq;
  tip_.uid = uid;
  tip_.fingerprint = computed;
  tip_.last_kind = kind;
  if (kind == "checkpoint") {
    tip_.records_since_checkpoint = 0;
  } else {
    ++tip_.records_since_checkpoint;
  }
  tip_file_ = file_;
  tip_line_ = line_;
  ++report_.records;
  report_.last_sequence = seq;
  if (observer_) {
    observer_(tip_, line);
  }
  return true;
}

bool ChainVerifier::check_checkpoint(std::uint32_t cp, std::uint64_t seq, std::int64_t time) {
  JsonTape& t = *tape_;
  std::uint64_t tree_size = 0;
  const auto root = digest_from_hex(t.string(t.member(cp, "root")));
  if (!t.unsigned_integer(t.member(cp, "tree_size"), tree_size) || !root) {
    problem(Tamper::Altered, line_, seq, "checkpoint without tree_size and root");
    return false;
  }
  if (tree_size != seq - 1) {
    problem(Tamper::Altered, line_, seq,
            "checkpoint tree_size " + std::to_string(tree_size) + " but " +
                std::to_string(seq - 1) + " records precede it");
    return false;
  }
  if (tip_.tree_known) {
    if (tip_.tree.root() != *root) {
      problem(Tamper::Altered, line_, seq,
              "checkpoint root does not match the Merkle tree of the records before it");
      return false;
    }
    ++report_.checkpoints;
  } else {
    // Verifying part of a log: take the tree up from the first checkpoint whose frontier
    // matches its root (checked below by its signature, when a key is given).
    const std::uint32_t frontier = t.member(cp, "frontier");
    std::vector<Digest> hashes;
    if (frontier != JsonTape::kNone && t.node(frontier).type == detail::NodeType::Array) {
      for (std::uint32_t k = 0; k < t.node(frontier).count; ++k) {
        auto h = digest_from_hex(t.string(t.element(frontier, k)));
        if (!h) {
          break;
        }
        hashes.push_back(*h);
      }
    }
    auto tree = MerkleFrontier::from_hashes(tree_size, std::move(hashes));
    if (tree && tree->root() == *root) {
      tip_.tree = std::move(*tree);
      tip_.tree_known = true;
      report_.notes.push_back("Merkle roots checked from the checkpoint at sequence " +
                              std::to_string(seq) + " on");
    }
  }
  const std::string_view reason = t.string(t.member(cp, "reason"));
  tip_.last_checkpoint_reason = reason;
  if (reason == "rotate") {
    tip_.next_file = t.string(t.member(cp, "next_file"));
    rotation_file_ = file_;
  }
  if (options_.public_key != nullptr) {
    const std::string_view key_id = t.string(t.member(cp, "key_id"));
    const auto signature = base64_decode(t.string(t.member(cp, "signature")));
    if (key_id.empty() || !signature) {
      problem(Tamper::BadSignature, line_, seq, "the checkpoint is not signed");
      return false;
    }
    if (key_id != options_.public_key->key_id()) {
      problem(Tamper::BadSignature, line_, seq,
              "the checkpoint is signed by another key (key_id " + std::string(key_id) + ")");
      return false;
    }
    const std::string payload =
        checkpoint_signing_payload(tip_.chain_uid, tree_size, t.string(t.member(cp, "root")), time);
    if (!options_.public_key->verify(payload, *signature)) {
      problem(Tamper::BadSignature, line_, seq, "the checkpoint signature does not verify");
      return false;
    }
    ++report_.signatures_checked;
  }
  return true;
}

void ChainVerifier::damaged_tail(std::uint64_t data_end, std::uint64_t at) {
  problem(Tamper::Altered, line_ + 1, std::nullopt,
          "the file is damaged: byte offset " + std::to_string(at) +
              " is not NUL, but the data ends at byte offset " + std::to_string(data_end) +
              " (its first NUL byte; a record never contains one, and only NUL bytes — the "
              "unwritten tail — may follow it)");
}

void ChainVerifier::unwritten_tail(std::uint64_t bytes) {
  report_.unwritten_bytes += bytes;
  report_.notes.push_back(file_ + " ends with an unwritten tail of " + std::to_string(bytes) +
                          " NUL bytes (space the writer reserved ahead of its records; not part "
                          "of the log)");
}

VerifyReport ChainVerifier::finish() {
  searching_for_.reset();
  if (!failed() && !options_.partial && !tip_.next_file.empty()) {
    problem(Tamper::Removed, tip_line_, tip_.sequence,
            "the log continues in " + tip_.next_file +
                " (named by this rotation checkpoint), which was not given",
            &tip_file_);
  }
  if (report_.records == 0 && !failed()) {
    report_.notes.push_back("no records");
  }
  return report_;
}

Result<FileData> feed_file(ChainVerifier& verifier, const std::filesystem::path& file,
                           std::uint64_t& good_end) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail("cannot read " + file.string() + ": " + std::strerror(errno));
  }
  verifier.begin_file(file.string());
  good_end = 0;
  std::uint64_t offset = 0;
  auto data = read_lines(
      fd, 0, TailCheck::Check,
      [&](std::string_view line) {
        offset += line.size() + 1;
        if (verifier.feed_line(line, true)) {
          good_end = offset;
        }
      },
      file.string());
  ::close(fd);
  if (!data) {
    return tl::unexpected(data.error());
  }
  // Damage after the data is named before a torn last line: it is what explains the file.
  if (data->damaged_at) {
    verifier.damaged_tail(data->data_end, *data->damaged_at);
  }
  if (!data->torn.empty()) {
    verifier.feed_line(data->torn, false);
  }
  if (data->unwritten_bytes() > 0) {
    verifier.unwritten_tail(data->unwritten_bytes());
  }
  return data;
}

Result<std::vector<std::filesystem::path>> list_log_files(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() == std::string_view("audit-YYYYMMDD-HHMMSS.jsonl").size() &&
        name.starts_with("audit-") && name.ends_with(".jsonl")) {
      files.push_back(it->path());
    }
  }
  if (ec) {
    return fail("cannot list " + dir.string() + ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  return files;
}

Result<VerifyReport> verify_files(const std::vector<std::filesystem::path>& files,
                                  const VerifyOptions& options) {
  ChainVerifier verifier(options);
  for (const auto& given : files) {
    std::vector<std::filesystem::path> expanded{given};
    std::error_code ec;
    if (std::filesystem::is_directory(given, ec)) {
      auto listed = list_log_files(given);
      if (!listed) {
        return tl::unexpected(listed.error());
      }
      expanded = std::move(*listed);
    }
    for (const auto& file : expanded) {
      std::uint64_t good_end = 0;
      auto fed = feed_file(verifier, file, good_end);
      if (!fed) {
        return tl::unexpected(fed.error());
      }
    }
  }
  return verifier.finish();
}

}  // namespace portcullis::audit
