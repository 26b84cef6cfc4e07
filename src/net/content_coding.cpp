#include "net/content_coding.hpp"

#include <string_view>

#include "portcullis/common/ascii.hpp"

namespace portcullis::net {

bool body_is_unencoded(const boost::beast::http::fields& fields) {
  for (auto range = fields.equal_range(boost::beast::http::field::content_encoding);
       range.first != range.second; ++range.first) {
    std::string_view list = range.first->value();
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      const std::string_view element = trim_ows(list.substr(0, comma));
      if (!element.empty() && !ascii_iequals(element, "identity")) {
        return false;
      }
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
  }
  return true;
}

}  // namespace portcullis::net
