#include "net/siem_transport.hpp"

#include <charconv>

namespace portcullis::net::detail {

Result<HostPort> split_host_port(std::string_view address) {
  HostPort out;
  std::string_view port;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return fail("address \"" + std::string(address) + "\": expected [v6-address]:port");
    }
    out.host.assign(address.substr(1, close - 1));
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos || address.find(':') != colon) {
      return fail("address \"" + std::string(address) + "\": expected host:port");
    }
    out.host.assign(address.substr(0, colon));
    port = address.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (out.host.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return fail("address \"" + std::string(address) + "\": expected host:port with port 1-65535");
  }
  out.port.assign(port);
  return out;
}

}  // namespace portcullis::net::detail
