// SiemDelivery: validates the configured sinks, builds each one's transport and cursor, and
// owns their threads.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "net/siem_relp_transport.hpp"
#include "net/siem_sink_runner.hpp"
#include "net/siem_syslog_transport.hpp"
#include "net/siem_transport.hpp"
#include "portcullis/audit/delivery_cursor.hpp"
#include "portcullis/net/siem_sink.hpp"

namespace portcullis::net {
namespace {

Result<void> readable_file(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path);
  if (!in) {
    return fail(std::string(what) + " " + path.string() + " cannot be read");
  }
  return {};
}

std::string local_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') {
    return "-";
  }
  return name;
}

// The options with defaults resolved: server name from the address.
SiemTlsOptions resolved_tls(const SiemSinkOptions& options, const detail::HostPort& address) {
  SiemTlsOptions tls = options.tls;
  if (tls.server_name.empty()) {
    tls.server_name = address.host;
  }
  return tls;
}

Result<std::unique_ptr<detail::SiemTransport>> make_transport(const SiemSinkOptions& options) {
  auto address = detail::split_host_port(options.address);
  if (!address) {
    return tl::unexpected(address.error());
  }
  switch (options.type) {
    case SiemSinkType::Relp: {
      detail::RelpTransportOptions relp{
          address->host,       address->port,           resolved_tls(options, *address),
          options.relp_window, options.connect_timeout, options.io_timeout};
      auto transport = detail::RelpTransport::create(std::move(relp));
      if (!transport) {
        return tl::unexpected(transport.error());
      }
      return std::unique_ptr<detail::SiemTransport>(std::move(*transport));
    }
    case SiemSinkType::Syslog: {
      detail::SyslogTransportOptions syslog{address->host, address->port,
                                            resolved_tls(options, *address),
                                            options.connect_timeout, options.io_timeout};
      return std::unique_ptr<detail::SiemTransport>(
          std::make_unique<detail::SyslogTransport>(std::move(syslog)));
    }
  }
  return fail("unknown SIEM sink type");
}

}  // namespace

Result<SiemSinkType> parse_siem_sink_type(std::string_view text) {
  if (text == "relp") {
    return SiemSinkType::Relp;
  }
  if (text == "syslog") {
    return SiemSinkType::Syslog;
  }
  return fail("unknown SIEM sink type \"" + std::string(text) + "\" (expected relp or syslog)");
}

std::string_view to_string(SiemSinkType type) {
  switch (type) {
    case SiemSinkType::Relp:
      return "relp";
    case SiemSinkType::Syslog:
      return "syslog";
  }
  return "unknown";
}

Result<void> validate_siem_sink(const SiemSinkOptions& options) {
  const std::string where = "SIEM sink \"" + options.name + "\": ";
  if (!audit::is_valid_sink_name(options.name)) {
    return fail(where + "name must be 1-64 characters of [A-Za-z0-9._-], not starting with '.'");
  }
  if (auto address = detail::split_host_port(options.address); !address) {
    return fail(where + address.error().message);
  }
  if (options.tls.enabled) {
    if (options.tls.ca.empty() && options.type == SiemSinkType::Relp) {
      return fail(where +
                  "tls.ca is required for RELP over TLS (librelp has no system trust "
                  "store)");
    }
    if (auto ca = readable_file(options.tls.ca, "tls.ca"); !options.tls.ca.empty() && !ca) {
      return fail(where + ca.error().message);
    }
    if (options.tls.cert.empty() != options.tls.key.empty()) {
      return fail(where + "tls.cert and tls.key go together");
    }
    if (!options.tls.cert.empty()) {
      if (auto cert = readable_file(options.tls.cert, "tls.cert"); !cert) {
        return fail(where + cert.error().message);
      }
      if (auto key = readable_file(options.tls.key, "tls.key"); !key) {
        return fail(where + key.error().message);
      }
    }
  }
  if (options.type == SiemSinkType::Syslog && options.resend_window == 0) {
    return fail(where + "resend_window must be at least 1 (syslog has no acknowledgement)");
  }
  if (options.relp_window < 2) {
    return fail(where + "relp_window must be at least 2 (librelp ignores smaller windows)");
  }
  if (options.batch_records == 0) {
    return fail(where + "batch_records must be at least 1");
  }
  using std::chrono::milliseconds;
  if (options.connect_timeout <= milliseconds(0) || options.io_timeout <= milliseconds(0) ||
      options.backoff_initial <= milliseconds(0) || options.backoff_max < options.backoff_initial ||
      options.poll_interval <= milliseconds(0)) {
    return fail(where +
                "timeouts, poll_interval and backoff_initial must be positive, backoff_max >= "
                "backoff_initial");
  }
  if (options.facility < 0 || options.facility > 23 || options.severity < 0 ||
      options.severity > 7) {
    return fail(where + "facility must be 0-23 and severity 0-7");
  }
  return {};
}

Result<std::unique_ptr<SiemDelivery>> SiemDelivery::start(SiemDeliveryOptions options) {
  std::set<std::string> names;
  for (const auto& sink : options.sinks) {
    if (auto valid = validate_siem_sink(sink); !valid) {
      return tl::unexpected(valid.error());
    }
    if (!names.insert(sink.name).second) {
      return fail("SIEM sink \"" + sink.name + "\" is configured twice");
    }
  }
  std::unique_ptr<SiemDelivery> delivery(new SiemDelivery());
  std::vector<detail::SiemSinkRunner*> runners;
  const std::string hostname = local_hostname();
  for (auto& sink : options.sinks) {
    auto cursor = audit::DeliveryCursor::open(options.cursor_dir, sink.name);
    if (!cursor) {
      return tl::unexpected(cursor.error());
    }
    auto transport = make_transport(sink);
    if (!transport) {
      return fail("SIEM sink \"" + sink.name + "\": " + transport.error().message);
    }
    detail::SyslogHeader header;
    header.facility = sink.facility;
    header.severity = sink.severity;
    header.hostname = sink.hostname.empty() ? hostname : sink.hostname;
    header.app_name = sink.app_name;
    header.procid = std::to_string(::getpid());
    auto runner = std::make_unique<detail::SiemSinkRunner>(
        sink, options.log_dir, std::move(*cursor), std::move(*transport), std::move(header));
    runners.push_back(runner.get());
    delivery->sinks_.push_back(std::move(runner));
  }
  // Only once every sink could be built: a configuration error starts none of them.
  for (auto* runner : runners) {
    runner->start();
  }
  return delivery;
}

std::string default_siem_sink_name(SiemSinkType type, std::string_view host, std::uint16_t port) {
  std::string name =
      std::string(to_string(type)) + "-" + std::string(host) + "-" + std::to_string(port);
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      c = '_';
    }
  }
  if (name.size() > 64) {
    name.resize(64);
  }
  return name;
}

SiemDelivery::~SiemDelivery() { stop(); }

void SiemDelivery::stop(std::chrono::milliseconds catch_up) {
  // All at once, so the wait is the slowest sink's, not their sum.
  const auto deadline = std::chrono::steady_clock::now() + catch_up;
  for (auto& sink : sinks_) {
    auto& runner = static_cast<detail::SiemSinkRunner&>(*sink);
    if (catch_up > std::chrono::milliseconds::zero()) {
      runner.finish_by(deadline);
    } else {
      runner.request_stop();
    }
  }
  for (auto& sink : sinks_) {
    static_cast<detail::SiemSinkRunner&>(*sink).join();
  }
}

std::vector<SiemSinkStatus> SiemDelivery::status() const {
  std::vector<SiemSinkStatus> out;
  out.reserve(sinks_.size());
  for (const auto& sink : sinks_) {
    out.push_back(SiemSinkStatus{sink->name(), sink->type(), sink->lag(), sink->stats()});
  }
  return out;
}

const SiemSink* SiemDelivery::sink(std::string_view name) const {
  for (const auto& sink : sinks_) {
    if (sink->name() == name) {
      return sink.get();
    }
  }
  return nullptr;
}

}  // namespace portcullis::net
