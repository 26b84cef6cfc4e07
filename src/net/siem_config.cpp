#include "portcullis/net/siem_config.hpp"

#include <utility>

namespace portcullis::net {

SiemDeliveryOptions siem_delivery_options(const config::Audit& audit,
                                          std::filesystem::path cursor_dir) {
  SiemDeliveryOptions out;
  out.log_dir = audit.dir;
  out.cursor_dir = cursor_dir.empty() ? audit.dir / "siem-cursors" : std::move(cursor_dir);
  for (const auto& sink : audit.sinks) {
    SiemSinkOptions options;
    switch (sink.type) {
      case config::SinkType::Relp:
        options.type = SiemSinkType::Relp;
        break;
      case config::SinkType::Syslog:
        options.type = SiemSinkType::Syslog;
        break;
    }
    options.address = sink.address.to_string();
    options.name = default_siem_sink_name(options.type, sink.address.host, sink.address.port);
    options.tls.enabled = sink.tls.has_value();
    if (sink.tls) {
      options.tls.ca = sink.tls->ca;
      options.tls.cert = sink.tls->cert;
      options.tls.key = sink.tls->key;
      options.tls.server_name = sink.tls->server_name;
    }
    out.sinks.push_back(std::move(options));
  }
  return out;
}

}  // namespace portcullis::net
