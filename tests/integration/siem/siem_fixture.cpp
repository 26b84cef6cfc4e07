#include "siem_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/concat.hpp"

namespace portcullis::test::siem {
namespace {

void run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
    throw std::runtime_error("command failed: " + command);
  }
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool port_accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "portcullis-siem-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Certificates make_certificates(const std::filesystem::path& dir) {
  const auto d = dir.string();
  Certificates c{dir / "ca.pem",     dir / "server.pem", dir / "server.key",
                 dir / "client.pem", dir / "client.key", dir / "rogue-ca.pem"};
  const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ";
  run("openssl req -x509" + key + "-keyout " + d + "/ca.key -out " + d +
      "/ca.pem -days 2 -subj /CN=siem-test-ca");
  run("openssl req -x509" + key + "-keyout " + d + "/rogue-ca.key -out " + d +
      "/rogue-ca.pem -days 2 -subj /CN=rogue-ca");
  struct Leaf {
    const char* name;
    const char* san;
  };
  for (const Leaf leaf :
       {Leaf{"server", "DNS:localhost,IP:127.0.0.1"}, Leaf{"client", "DNS:portcullis-client"}}) {
    const std::string base = d + "/" + leaf.name;
    write_text(base + ".ext", std::string("subjectAltName=") + leaf.san +
                                  "\nbasicConstraints=CA:FALSE\n"
                                  "extendedKeyUsage=serverAuth,clientAuth\n");
    run("openssl req" + key + "-keyout " + base + ".key -out " + base + ".csr -subj /CN=" +
        (std::string(leaf.name) == "client" ? "portcullis-client" : "localhost"));
    run("openssl x509 -req -in " + base + ".csr -CA " + d + "/ca.pem -CAkey " + d +
        "/ca.key -CAcreateserial -out " + base + ".pem -days 2 -extfile " + base + ".ext");
  }
  return c;
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

AuditFiles::AuditFiles(std::filesystem::path dir, std::size_t record_bytes)
    : dir_(std::move(dir)), record_bytes_(record_bytes) {
  std::filesystem::create_directories(dir_);
  rotate();
}

void AuditFiles::rotate() {
  char name[64];
  std::snprintf(name, sizeof name, "audit-20261127-01%04d.jsonl", file_index_++);
  current_ = dir_ / name;
  std::ofstream(current_, std::ios::binary | std::ios::app).flush();
}

std::string AuditFiles::uid_of(std::uint64_t sequence) {
  char uid[48];
  std::snprintf(uid, sizeof uid, "0192f1a0-0000-7000-8000-%012llu",
                static_cast<unsigned long long>(sequence));
  return uid;
}

std::string AuditFiles::make_line(std::uint64_t sequence) const {
  // Characters a transport could mangle: quotes, backslashes, ']' and non-ASCII UTF-8.
  std::string line =
      R"({"class_uid":6003,"metadata":{"log_name":"portcullis","sequence":)" +
      std::to_string(sequence) + R"(,"uid":")" + uid_of(sequence) + R"("},"time":)" +
      std::to_string(now_ms()) +
      R"(,"unmapped":{"note":"quote \" backslash \\ bracket ] caf\u00e9 café","pad":")";
  while (line.size() + 3 < record_bytes_) {
    line += static_cast<char>('a' + (line.size() + sequence) % 26);
  }
  line += "\"}}";
  return line;
}

void AuditFiles::write(const std::string& bytes) {
  std::ofstream out(current_, std::ios::binary | std::ios::app);
  out << bytes;
  out.flush();
  if (!out) {
    throw std::runtime_error("cannot append to " + current_.string());
  }
}

std::uint64_t AuditFiles::append(std::size_t count) {
  if (torn_) {
    throw std::logic_error("complete the torn record first");
  }
  std::string bytes;
  for (std::size_t i = 0; i < count; ++i) {
    lines_.push_back(make_line(lines_.size() + 1));
    bytes += lines_.back();
    bytes += '\n';
  }
  write(bytes);
  return lines_.size();
}

void AuditFiles::append_torn(std::size_t bytes) {
  lines_.push_back(make_line(lines_.size() + 1));
  torn_ = true;
  torn_written_ = std::min(bytes, lines_.back().size());
  write(lines_.back().substr(0, torn_written_));
}

void AuditFiles::complete_torn() {
  write(lines_.back().substr(torn_written_) + "\n");
  torn_ = false;
}

Rsyslog::Rsyslog(std::filesystem::path dir, const Certificates& certs, RsyslogInput input,
                 std::uint16_t port)
    : dir_(std::move(dir)), port_(port) {
  std::filesystem::create_directories(dir_ / "work");
  conf_ = dir_ / "rsyslog.conf";
  output_ = dir_ / "received.txt";
  const auto q = [](const std::filesystem::path& p) { return test::concat({"\"", p.string(), "\""}); };
  std::ostringstream conf;
  conf << "global(workDirectory=" << q(dir_ / "work") << " maxMessageSize=\"64k\"";
  if (input == RsyslogInput::SyslogTls) {
    conf << " defaultNetstreamDriver=\"ossl\" defaultNetstreamDriverCAFile=" << q(certs.ca)
         << " defaultNetstreamDriverCertFile=" << q(certs.server_cert)
         << " defaultNetstreamDriverKeyFile=" << q(certs.server_key);
  }
  conf << ")\n";
  // Direct queues: a message is in the output file before the input acknowledges it, so what
  // RELP acknowledged survives a kill -9.
  conf << "main_queue(queue.type=\"direct\")\n"
       << "template(name=\"msgonly\" type=\"string\" string=\"%msg%\\n\")\n"
       << "ruleset(name=\"audit\" queue.type=\"direct\") {\n"
       << "  action(type=\"omfile\" file=" << q(output_) << " template=\"msgonly\")\n}\n";
  if (input == RsyslogInput::RelpTls) {
    conf << "module(load=\"imrelp\" tls.tlslib=\"openssl\")\n"
         << "input(type=\"imrelp\" address=\"127.0.0.1\" port=\"" << port_
         << "\" ruleset=\"audit\" maxDataSize=\"64k\" tls=\"on\" tls.cacert=" << q(certs.ca)
         << " tls.mycert=" << q(certs.server_cert) << " tls.myprivkey=" << q(certs.server_key)
         << " tls.authmode=\"name\" tls.permittedpeer=[\"portcullis-client\"])\n";
  } else {
    conf << "module(load=\"imtcp\" streamDriver.name=\"ossl\" streamDriver.mode=\"1\" "
            "streamDriver.authMode=\"x509/name\" permittedPeer=[\"portcullis-client\"])\n"
         << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << port_
         << "\" ruleset=\"audit\")\n";
  }
  write_text(conf_, conf.str());
}

Rsyslog::~Rsyslog() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void Rsyslog::start() {
  const auto pidfile = dir_ / "rsyslogd.pid";
  std::filesystem::remove(pidfile);
  const auto log = dir_ / "rsyslogd.log";
  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execlp("rsyslogd", "rsyslogd", "-n", "-f", conf_.c_str(), "-i", pidfile.c_str(), nullptr);
    ::_exit(127);
  }
  if (!wait_until([this] { return port_accepts(port_); }, std::chrono::seconds(10))) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    throw std::runtime_error("rsyslogd did not listen on port " + std::to_string(port_) + ": " +
                             text.str());
  }
}

void Rsyslog::kill9() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

void Rsyslog::terminate() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

std::vector<std::string> Rsyslog::received() const {
  std::vector<std::string> lines;
  std::ifstream in(output_, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t start = 0;
  for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

}  // namespace portcullis::test::siem
