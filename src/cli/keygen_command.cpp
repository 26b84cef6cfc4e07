// `portcullis keygen --out DIR`: the Ed25519 key pair that signs audit checkpoints.
// DIR/audit.key (PKCS#8 PEM, mode 0600) and DIR/audit.pub (SPKI PEM); never overwrites.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include "cli/commands.hpp"
#include "portcullis/audit/signer.hpp"

namespace portcullis::cli {

namespace {

// Creates `path` exclusively with `mode` and writes `text`; never replaces an existing file.
bool write_new_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    std::cerr << "portcullis keygen: cannot create " << path.string() << ": "
              << std::strerror(errno) << "\n";
    return false;
  }
  bool ok = ::fchmod(fd, mode) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  if (!ok) {
    std::cerr << "portcullis keygen: cannot write " << path.string() << ": "
              << std::strerror(errno) << "\n";
  }
  ::close(fd);
  return ok;
}

int run_keygen(const std::string& out_dir) {
  const std::filesystem::path dir(out_dir);
  const auto key_path = dir / "audit.key";
  const auto pub_path = dir / "audit.pub";
  std::error_code ec;
  if (std::filesystem::exists(key_path, ec) || std::filesystem::exists(pub_path, ec)) {
    std::cerr << "portcullis keygen: " << (std::filesystem::exists(key_path, ec) ? key_path : pub_path).string()
              << " already exists; refusing to overwrite a key\n";
    return 1;
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "portcullis keygen: cannot create " << dir.string() << ": " << ec.message() << "\n";
    return 2;
  }
  auto key = audit::SigningKey::generate();
  if (!key) {
    std::cerr << "portcullis keygen: " << key.error().message << "\n";
    return 2;
  }
  if (!write_new_file(key_path, key->private_pem(), 0600)) {
    return 2;
  }
  if (!write_new_file(pub_path, key->public_pem(), 0644)) {
    std::filesystem::remove(key_path, ec);  // do not leave half a key pair behind
    return 2;
  }
  std::cout << "wrote " << key_path.string() << " (private, mode 0600) and " << pub_path.string()
            << "\nkey_id " << key->key_id() << "\n";
  return 0;
}

}  // namespace

void add_keygen_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "keygen", "Create the Ed25519 key pair that signs audit checkpoints (audit.key, audit.pub)");
  auto out = std::make_shared<std::string>();
  cmd->add_option("--out", *out, "Directory for audit.key (PKCS#8, 0600) and audit.pub (SPKI)")
      ->required();
  cmd->callback([&exit_code, out] { exit_code = run_keygen(*out); });
}

}  // namespace portcullis::cli
