#include "net/siem_relp_transport.hpp"

#include <sys/socket.h>

// librelp.h has no extern "C" guard of its own.
extern "C" {
#include <librelp.h>
}

#include <algorithm>
#include <utility>

namespace portcullis::net::detail {
namespace {

// librelp's generic-error callback carries no user pointer; it runs on the thread that called
// into librelp, so the transport making the call is remembered per thread.
thread_local RelpTransport* current_transport = nullptr;

class CurrentTransport {
 public:
  explicit CurrentTransport(RelpTransport* transport)
      : previous_(std::exchange(current_transport, transport)) {}
  ~CurrentTransport() { current_transport = previous_; }
  CurrentTransport(const CurrentTransport&) = delete;
  CurrentTransport& operator=(const CurrentTransport&) = delete;

 private:
  RelpTransport* previous_;
};

void on_error(void* user, char* object, char* message, relpRetVal code) {
  if (auto* transport = static_cast<RelpTransport*>(user); transport != nullptr) {
    transport->note_error(object, message, code);
  } else if (current_transport != nullptr) {
    current_transport->note_error(object, message, code);
  }
}

// librelp calls its debug printer unconditionally and does not install a default one.
void ignore_debug_output(char* /*format*/, ...) {}

void on_generic_error(char* object, char* message, relpRetVal code) {
  if (current_transport != nullptr) {
    current_transport->note_error(object, message, code);
  }
}

// librelp takes `unsigned char*`/`char*` for strings it only reads (and copies).
unsigned char* uchars(std::string& text) { return reinterpret_cast<unsigned char*>(text.data()); }

std::string relp_error(std::string_view call, relpRetVal code, const std::string& detail) {
  std::string out = std::string(call) + " failed (librelp code " + std::to_string(code) + ")";
  if (!detail.empty()) {
    out += ": " + detail;
  }
  return out;
}

unsigned to_seconds(std::chrono::milliseconds duration) {
  return static_cast<unsigned>(std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(duration + std::chrono::milliseconds(999))
             .count()));
}

}  // namespace

Result<std::unique_ptr<RelpTransport>> RelpTransport::create(RelpTransportOptions options) {
  std::unique_ptr<RelpTransport> transport(new RelpTransport(std::move(options)));
  relpEngine_t* engine = nullptr;
  if (const auto rc = relpEngineConstruct(&engine); rc != RELP_RET_OK) {
    return fail(relp_error("relpEngineConstruct", rc, ""));
  }
  transport->engine_ = engine;
  std::string syslog_command = "syslog";
  relpRetVal rc = relpEngineSetDbgprint(engine, ignore_debug_output);
  if (rc == RELP_RET_OK) {
    rc = relpEngineSetEnableCmd(engine, uchars(syslog_command), eRelpCmdState_Required);
  }
  if (rc == RELP_RET_OK) {
    rc = relpEngineSetOnErr(engine, on_error);
  }
  if (rc == RELP_RET_OK) {
    rc = relpEngineSetOnAuthErr(engine, on_error);
  }
  if (rc == RELP_RET_OK) {
    rc = relpEngineSetOnGenericErr(engine, on_generic_error);
  }
  // GnuTLS, not OpenSSL: librelp's OpenSSL backend keeps one process-wide SSL_CTX whose CA is
  // the first connection's, so two sinks (or a reload) with different CAs would verify against
  // the wrong one. The GnuTLS backend loads the CA per connection.
  if (rc == RELP_RET_OK && transport->options_.tls.enabled) {
    rc = relpEngineSetTLSLibByName(engine, "gnutls");
  }
  if (rc != RELP_RET_OK) {
    return fail(relp_error("librelp engine setup", rc, ""));
  }
  return transport;
}

RelpTransport::~RelpTransport() {
  destroy_client();
  if (engine_ != nullptr) {
    relpEngineDestruct(&engine_);
  }
}

void RelpTransport::note_error(const char* what, const char* message, int code) {
  ++errors_;
  // librelp reports one failure as several callbacks (e.g. the TLS verification detail, then
  // "error opening connection"); keep them all for the log line.
  std::string text = std::string(what != nullptr ? what : "") + ": " +
                     (message != nullptr ? message : "") + " (librelp code " +
                     std::to_string(code) + ")";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  if (last_error_.size() < 2048) {
    last_error_ += last_error_.empty() ? text : "; " + text;
  }
}

void RelpTransport::destroy_client() {
  if (client_ != nullptr) {
    CurrentTransport current(this);
    // Runs RELP `close` unless the session is already broken (bounded by io_timeout).
    relpEngineCltDestruct(engine_, &client_);
    client_ = nullptr;
  }
}

Result<void> RelpTransport::connect() {
  CurrentTransport current(this);
  destroy_client();
  sent_ = 0;
  confirmed_ = 0;
  errors_ = 0;
  last_error_.clear();
  if (const auto rc = relpEngineCltConstruct(engine_, &client_); rc != RELP_RET_OK) {
    client_ = nullptr;
    return fail(relp_error("relpEngineCltConstruct", rc, last_error_));
  }
  relpRetVal rc = relpCltSetUsrPtr(client_, this);
  if (rc == RELP_RET_OK) {
    rc = relpCltSetTimeout(client_, to_seconds(options_.io_timeout));
  }
  if (rc == RELP_RET_OK) {
    rc = relpCltSetConnTimeout(client_, static_cast<int>(to_seconds(options_.connect_timeout)));
  }
  if (rc == RELP_RET_OK) {
    rc = relpCltSetWindowSize(client_, std::max(2, options_.window));
  }
  if (rc == RELP_RET_OK && options_.tls.enabled) {
    std::string ca = options_.tls.ca.string();
    std::string cert = options_.tls.cert.string();
    std::string key = options_.tls.key.string();
    std::string mode = "name";  // chain verified against `ca` and the name checked
    std::string peer = options_.tls.server_name;
    rc = relpCltEnableTLS(client_);
    if (rc == RELP_RET_OK) {
      rc = relpCltSetCACert(client_, ca.data());
    }
    if (rc == RELP_RET_OK && !cert.empty()) {
      rc = relpCltSetOwnCert(client_, cert.data());
    }
    if (rc == RELP_RET_OK && !key.empty()) {
      rc = relpCltSetPrivKey(client_, key.data());
    }
    if (rc == RELP_RET_OK) {
      rc = relpCltSetAuthMode(client_, mode.data());
    }
    if (rc == RELP_RET_OK) {
      rc = relpCltAddPermittedPeer(client_, peer.data());
    }
  }
  if (rc != RELP_RET_OK) {
    auto error = relp_error("librelp client setup", rc, last_error_);
    destroy_client();
    return fail(std::move(error));
  }
  std::string host = options_.host;
  std::string port = options_.port;
  rc = relpCltConnect(client_, AF_UNSPEC, uchars(port), uchars(host));
  if (rc != RELP_RET_OK || errors_ != 0) {
    auto error = relp_error("RELP connect to " + host + ":" + port, rc, last_error_);
    destroy_client();
    return fail(std::move(error));
  }
  return {};
}

Result<void> RelpTransport::send(std::string_view message) {
  if (client_ == nullptr) {
    return fail("RELP: not connected");
  }
  CurrentTransport current(this);
  const auto errors_before = errors_;
  last_error_.clear();
  // librelp's signature takes a mutable pointer; it only copies from it.
  auto* data = reinterpret_cast<unsigned char*>(const_cast<char*>(message.data()));
  const auto rc = relpCltSendSyslog(client_, data, message.size());
  if (rc != RELP_RET_OK || errors_ != errors_before) {
    auto error = relp_error("RELP send", rc, last_error_);
    destroy_client();
    return fail(std::move(error));
  }
  ++sent_;
  const auto window = static_cast<std::uint64_t>(std::max(2, options_.window));
  confirmed_ = sent_ > window ? sent_ - window : 0;
  return {};
}

Result<void> RelpTransport::flush() {
  if (client_ == nullptr) {
    return {};
  }
  const auto errors_before = errors_;
  last_error_.clear();
  destroy_client();
  if (errors_ != errors_before) {
    return fail("RELP close: " + last_error_);
  }
  confirmed_ = sent_;
  return {};
}

void RelpTransport::disconnect() { destroy_client(); }

}  // namespace portcullis::net::detail
