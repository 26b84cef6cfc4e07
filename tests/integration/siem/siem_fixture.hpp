// Test fixtures for SIEM delivery: temporary directories, generated certificates, synthetic
// audit log files, and a private rsyslogd (never the system service) on a free loopback port.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "support/wait_until.hpp"

namespace portcullis::test::siem {

// A directory under $TMPDIR removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A CA, a server certificate for "localhost"/127.0.0.1 and a client certificate
// "portcullis-client", made with the openssl CLI. `rogue_ca` signed nothing of ours.
struct Certificates {
  std::filesystem::path ca, server_cert, server_key, client_cert, client_key, rogue_ca;
};
Certificates make_certificates(const std::filesystem::path& dir);

// A loopback TCP port that was free a moment ago.
std::uint16_t free_port();

// Writes audit files the way the audit writer does: audit-YYYYMMDD-HHMMSS.jsonl, one record per
// line with metadata.sequence / metadata.uid / time, padded to about `record_bytes`.
class AuditFiles {
 public:
  explicit AuditFiles(std::filesystem::path dir, std::size_t record_bytes = 600);
  // Starts a new file (the next name in lexical order).
  void rotate();
  // Appends `count` complete records; returns the last sequence.
  std::uint64_t append(std::size_t count);
  // Writes the first `bytes` of the next record without its newline (a torn last line).
  void append_torn(std::size_t bytes);
  // Completes the torn record started by append_torn().
  void complete_torn();
  // The line of record `sequence` (1-based), as written.
  [[nodiscard]] const std::string& line(std::uint64_t sequence) const {
    return lines_.at(sequence - 1);
  }
  [[nodiscard]] std::uint64_t last_sequence() const { return lines_.size() - (torn_ ? 1 : 0); }
  [[nodiscard]] const std::filesystem::path& current_file() const { return current_; }
  [[nodiscard]] static std::string uid_of(std::uint64_t sequence);

 private:
  std::string make_line(std::uint64_t sequence) const;
  void write(const std::string& bytes);

  std::filesystem::path dir_;
  std::size_t record_bytes_;
  std::filesystem::path current_;
  int file_index_ = 0;
  std::vector<std::string> lines_;
  bool torn_ = false;
  std::size_t torn_written_ = 0;
};

enum class RsyslogInput { RelpTls, SyslogTls };

// rsyslogd -n -f <own conf> -i <own pidfile>, writing every message's MSG to one file.
class Rsyslog {
 public:
  Rsyslog(std::filesystem::path dir, const Certificates& certs, RsyslogInput input,
          std::uint16_t port);
  ~Rsyslog();
  Rsyslog(const Rsyslog&) = delete;
  Rsyslog& operator=(const Rsyslog&) = delete;

  // Starts it and waits until the port accepts connections.
  void start();
  void kill9();
  // SIGTERM and wait for a clean exit.
  void terminate();
  [[nodiscard]] bool running() const { return pid_ > 0; }
  // Complete lines received so far.
  [[nodiscard]] std::vector<std::string> received() const;
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::filesystem::path& output() const { return output_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path conf_;
  std::filesystem::path output_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

// Polls `done` every 20 ms until it is true or `timeout` passes; returns its last value.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  return portcullis::test::wait_until(done, timeout, std::chrono::milliseconds(20));
}

}  // namespace portcullis::test::siem
