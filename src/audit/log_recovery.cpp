#include "audit/log_recovery.hpp"

#include <sys/stat.h>

#include "audit/json_tape.hpp"
#include "portcullis/audit/file_data.hpp"

namespace portcullis::audit::detail {

namespace {

// True when the bytes after the last good record look like an interrupted write: no complete
// line in them is a JSON object. A complete, parseable record after a bad one means the file
// was damaged in the middle, which recovery must not "repair". (Damage after the NUL tail has
// been refused before this is asked.)
Result<bool> is_torn_tail(const std::filesystem::path& file, std::uint64_t from) {
  JsonTape tape;
  bool record_follows = false;
  auto data = read_lines(file, from, TailCheck::Stop, [&](std::string_view line) {
    if (!record_follows && tape.parse(line) && tape.node(0).type == NodeType::Object) {
      record_follows = true;
    }
  });
  if (!data) {
    return tl::unexpected(data.error());
  }
  return !record_follows;
}

std::string damage_message(const VerifyReport& report, const std::string& what_then) {
  return "the audit log is damaged in " + report.problem->file + " line " +
         std::to_string(report.problem->line) + " (" + to_string(report.problem->kind) + ": " +
         report.problem->message + ")" + what_then + " — run `portcullis audit verify`";
}

}  // namespace

Result<RecoveredLog> recover_log(const std::vector<std::filesystem::path>& files) {
  // Start from the newest file and go back until the Merkle tree is known (from a checkpoint's
  // frontier, or from the chain's first record): rotation ends every file with a checkpoint,
  // so this is at most the two newest files.
  for (std::size_t start = files.size(); start-- > 0;) {
    VerifyOptions options;
    options.partial = true;
    ChainVerifier verifier(options);
    std::uint64_t good_end = 0;
    FileData newest;
    for (std::size_t i = start; i < files.size(); ++i) {
      auto fed = feed_file(verifier, files[i], good_end);
      if (!fed) {
        return tl::unexpected(fed.error());
      }
      if (verifier.failed() && i + 1 < files.size()) {
        return fail(damage_message(verifier.finish(), "; refusing to append to it"));
      }
      newest = std::move(*fed);
    }
    // The tree is known only from a checkpoint (or the chain's start), so read further back
    // until one is found, also when the newest file ends torn: a file started by a rotation has
    // no checkpoint until its first one is due, and a crash in a write there is a torn tail
    // like any other. (Damage in an older file was refused above.)
    if (!verifier.tip().tree_known && start > 0) {
      continue;
    }
    RecoveredLog out;
    out.last_file = files.back();
    struct stat st {};
    if (::stat(out.last_file.c_str(), &st) != 0) {
      return fail("cannot stat " + out.last_file.string());
    }
    out.file_size = static_cast<std::uint64_t>(st.st_size);
    out.good_end = good_end;
    out.data_end = newest.data_end;
    out.unwritten_bytes = out.file_size > out.data_end ? out.file_size - out.data_end : 0;
    if (verifier.failed()) {
      const auto report = verifier.finish();
      if (newest.damaged_at) {
        // Not what a crash leaves: a write never lands after the NUL tail it has not reached.
        return fail(damage_message(report, "; refusing to cut it"));
      }
      auto torn = is_torn_tail(out.last_file, good_end);
      if (!torn) {
        return tl::unexpected(torn.error());
      }
      if (!*torn) {
        return fail(damage_message(report, " and valid records follow; refusing to cut it"));
      }
      out.torn_reason = std::string(to_string(report.problem->kind)) + ": " + report.problem->message;
    }
    out.tip = verifier.tip();
    if (!out.tip.tree_known && out.tip.started) {
      return fail("cannot resume the Merkle tree: no checkpoint with a frontier in the retained "
                  "audit files");
    }
    return out;
  }
  return fail("no audit files");
}

}  // namespace portcullis::audit::detail
