// SpareFile: keeps the writer's next log file ready in advance, filled with NUL bytes that are
// already on disk (AuditLogOptions::preallocate).
//
// Why: on ext4 (and XFS) an fdatasync after an append must also commit the file's new size and
// its newly allocated blocks through the journal; after a write over blocks that already hold
// data, it only writes the data back and flushes the disk's cache. On this project's disk that is
// ~1.5x the strict group commits per second (docs/performance.md, "Audit log"). PostgreSQL zero-
// fills its WAL segments for the same reason.
//
// Why a separate file and a separate thread: the zeros must be written and synced *before* the
// writer needs them, and not in the file being written — an fdatasync of the active file would
// then wait for the zeros' writeback too (measured: strict groups stalled, branch prealloc-wip).
// So one thread fills `<dir>/.portcullis-audit.spare.tmp` with zeros (O_DIRECT where the file
// system allows it, so the zeros do not crowd the page cache), fdatasyncs it and renames it to
// `<dir>/.portcullis-audit.spare`. The writer claims it when it starts a new file and renames it
// to the new file's name (install_spare in log_directory.hpp); the thread then prepares the next.
// Neither name matches a log file's, so readers, retention and verify never see a spare.
//
// Failure (disk full, I/O error) never reaches a record: the spare is removed, the error is kept
// for last_error(), and the writer creates files as it does without preallocation; the thread
// tries again after `retry_after`.
//
// Private to the audit module. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "portcullis/common/result.hpp"

namespace portcullis::audit::detail {

inline constexpr const char* kSpareFileName = ".portcullis-audit.spare";
inline constexpr const char* kSpareTempName = ".portcullis-audit.spare.tmp";

class SpareFile {
 public:
  // How many bytes of `dir`'s file system an unprivileged writer may still use (statvfs).
  using FreeSpace = std::function<Result<std::uint64_t>(const std::filesystem::path& dir)>;
  static Result<std::uint64_t> free_space_of(const std::filesystem::path& dir);

  // Removes a spare left by an earlier process (its contents are not trusted: it may be half
  // made) and starts preparing one of `size` bytes (rounded up to whole 256 KiB chunks). A
  // spare is only made while the file system has at least twice its size free, so that the
  // zeros never take the last space the log itself needs. `on_ready` runs on the preparing
  // thread each time a spare becomes ready (it must not call back into this object).
  SpareFile(std::filesystem::path dir, std::uint64_t size, std::function<void()> on_ready,
            std::chrono::milliseconds retry_after = std::chrono::seconds(30),
            FreeSpace free_space = free_space_of);
  // Stops the thread and removes the spare, ready or not: a stopped writer leaves no zeros.
  // Afterwards nothing is ready and claim() gives nothing; failures() and last_error() stay.
  // Idempotent; the destructor calls it.
  void stop();
  ~SpareFile();
  SpareFile(const SpareFile&) = delete;
  SpareFile& operator=(const SpareFile&) = delete;

  // The path of the ready spare, which the caller now owns until it calls done_with_claim(); or
  // nothing when none is ready (being prepared, or the last try failed). Never blocks on disk.
  [[nodiscard]] std::optional<std::filesystem::path> claim();
  // The claimed spare was renamed away (or could not be: then it is prepared anew). The thread
  // starts on the next one.
  void done_with_claim();

  // The log cannot write (most likely a full disk): a ready spare is removed to give its space
  // back, and the next one is not started before retry_after (nor while space is short).
  void give_back();

  [[nodiscard]] bool ready() const;
  [[nodiscard]] std::uint64_t size() const { return size_; }
  // How many preparations failed (not enough free space, an I/O error) since construction.
  [[nodiscard]] std::uint64_t failures() const { return failures_.load(); }
  // Why the last preparation failed, or "" (cleared when one succeeds).
  [[nodiscard]] std::string last_error() const;

 private:
  enum class State { Preparing, Ready, Claimed, Stopping };
  void run();
  // Writes the zeros to the temporary name, syncs and renames it. Returns "" or why it failed
  // (the temporary file is then removed).
  std::string prepare() const;
  // Sleeps between two chunks of zeros (woken early when stopping).
  void pause(std::chrono::steady_clock::duration how_long) const;

  const std::filesystem::path dir_;
  const std::uint64_t size_;
  const std::function<void()> on_ready_;
  const std::chrono::milliseconds retry_after_;
  const FreeSpace free_space_;
  std::atomic<bool> stopping_{false};       // read between the chunks of a preparation
  std::atomic<std::uint64_t> failures_{0};  // failures(), from any thread
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  mutable std::condition_variable pause_wake_;
  State state_ = State::Preparing;
  // No preparation starts before this (after a failure or give_back()).
  std::chrono::steady_clock::time_point not_before_{};
  std::string last_error_;
  std::thread thread_;
};

}  // namespace portcullis::audit::detail
