#include "portcullis/net/request_head_check.hpp"

#include <cstddef>
#include <optional>

#include "portcullis/common/ascii.hpp"

namespace portcullis::net {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 19) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// The authority of an absolute-form target, or nullopt for origin/asterisk form.
std::optional<std::string_view> absolute_authority(std::string_view target) {
  std::size_t scheme_end = 0;
  if (target.size() >= 7 && ascii_iequals(target.substr(0, 7), "http://")) {
    scheme_end = 7;
  } else if (target.size() >= 8 && ascii_iequals(target.substr(0, 8), "https://")) {
    scheme_end = 8;
  } else {
    return std::nullopt;
  }
  std::string_view rest = target.substr(scheme_end);
  return rest.substr(0, rest.find_first_of("/?#"));
}

// Host comparison: case-insensitive; a default port on one side only still counts as different
// (we refuse rather than guess).
bool same_authority(std::string_view a, std::string_view b) { return ascii_iequals(a, b); }

}  // namespace

bool has_bare_line_feed(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) {
      return true;
    }
  }
  return false;
}

HeadProblem check_request_head(std::string_view head) {
  // Every LF must be preceded by CR.
  if (has_bare_line_feed(head)) {
    return HeadProblem::BareLineFeed;
  }
  std::size_t pos = head.find("\r\n");
  if (pos == std::string_view::npos) {
    return HeadProblem::BadRequestLine;
  }
  const std::string_view request_line = head.substr(0, pos);
  const std::size_t sp1 = request_line.find(' ');
  const std::size_t sp2 = request_line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2 || sp1 == 0) {
    return HeadProblem::BadRequestLine;
  }
  const std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = request_line.substr(sp2 + 1);
  if (target.empty() || target.find(' ') != std::string_view::npos ||
      (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    return HeadProblem::BadRequestLine;
  }
  for (char c : request_line.substr(0, sp1)) {
    if (!is_tchar(c)) {
      return HeadProblem::BadRequestLine;
    }
  }
  const bool http10 = version == "HTTP/1.0";

  int content_lengths = 0;
  int transfer_encodings = 0;
  int hosts = 0;
  std::string_view host;
  bool bad_length = false;
  bool bad_encoding = false;

  pos += 2;
  bool terminated = false;  // the blank line ending the head was seen
  while (pos < head.size()) {
    const std::size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) {
      return HeadProblem::BadRequestLine;  // a field line without its CRLF
    }
    const std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) {
      terminated = true;
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      return HeadProblem::ObsFold;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return HeadProblem::InvalidHeaderName;
    }
    const std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (!is_tchar(c)) {
        return HeadProblem::InvalidHeaderName;
      }
    }
    const std::string_view raw_value = line.substr(colon + 1);
    for (char c : raw_value) {
      if (c == '\0' || c == '\r') {
        return HeadProblem::InvalidHeaderValue;
      }
    }
    const std::string_view value = trim_ows(raw_value);
    if (ascii_iequals(name, "content-length")) {
      ++content_lengths;
      bad_length = bad_length || !all_digits(value);
    } else if (ascii_iequals(name, "transfer-encoding")) {
      ++transfer_encodings;
      bad_encoding = bad_encoding || !ascii_iequals(value, "chunked");
    } else if (ascii_iequals(name, "host")) {
      ++hosts;
      host = value;
    }
  }

  if (!terminated) {
    // Field lines that stop without the empty line: an incomplete head, not a request. Judging
    // it anyway would decide on fields a later byte could still add to.
    return HeadProblem::BadRequestLine;
  }
  if (content_lengths > 0 && transfer_encodings > 0) {
    return HeadProblem::ContentLengthAndTransferEncoding;
  }
  if (content_lengths > 1) {
    return HeadProblem::DuplicateContentLength;
  }
  if (bad_length) {
    return HeadProblem::BadContentLength;
  }
  if (transfer_encodings > 1 || bad_encoding || (transfer_encodings > 0 && http10)) {
    return HeadProblem::BadTransferEncoding;
  }
  if (hosts > 1) {
    return HeadProblem::DuplicateHost;
  }
  if (hosts == 0 && !http10) {
    return HeadProblem::MissingHost;
  }
  if (const auto authority = absolute_authority(target)) {
    if (hosts == 0 || !same_authority(*authority, host)) {
      return HeadProblem::AbsoluteTargetHostMismatch;
    }
  }
  return HeadProblem::None;
}

std::string_view describe(HeadProblem problem) {
  switch (problem) {
    case HeadProblem::None:
      return "ok";
    case HeadProblem::BareLineFeed:
      return "line ending without CR";
    case HeadProblem::BadRequestLine:
      return "malformed request line";
    case HeadProblem::ObsFold:
      return "obsolete line folding";
    case HeadProblem::InvalidHeaderName:
      return "invalid header name";
    case HeadProblem::InvalidHeaderValue:
      return "invalid character in header value";
    case HeadProblem::ContentLengthAndTransferEncoding:
      return "both Content-Length and Transfer-Encoding";
    case HeadProblem::DuplicateContentLength:
      return "more than one Content-Length";
    case HeadProblem::BadContentLength:
      return "Content-Length is not a decimal number";
    case HeadProblem::BadTransferEncoding:
      return "unsupported Transfer-Encoding";
    case HeadProblem::MissingHost:
      return "missing Host";
    case HeadProblem::DuplicateHost:
      return "more than one Host";
    case HeadProblem::AbsoluteTargetHostMismatch:
      return "absolute-form target disagrees with Host";
  }
  return "invalid request head";
}

std::string_view origin_form(std::string_view target) {
  const auto authority = absolute_authority(target);
  if (!authority) {
    return target;
  }
  const auto start = static_cast<std::size_t>(authority->data() - target.data()) + authority->size();
  std::string_view rest = target.substr(start);
  return rest.empty() ? std::string_view("/") : rest;
}

}  // namespace portcullis::net
