#include "net/content_coding.hpp"

#include <string_view>

namespace portcullis::net {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_identity(std::string_view coding) {
  constexpr std::string_view kIdentity = "identity";
  if (coding.size() != kIdentity.size()) {
    return false;
  }
  for (std::size_t i = 0; i < coding.size(); ++i) {
    const char c = coding[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kIdentity[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool body_is_unencoded(const boost::beast::http::fields& fields) {
  for (auto range = fields.equal_range(boost::beast::http::field::content_encoding);
       range.first != range.second; ++range.first) {
    std::string_view list = range.first->value();
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      const std::string_view element = trim(list.substr(0, comma));
      if (!element.empty() && !is_identity(element)) {
        return false;
      }
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
  }
  return true;
}

}  // namespace portcullis::net
