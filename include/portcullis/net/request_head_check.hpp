// Raw checks of a request head (request line + header fields) before Beast parses it: the
// shapes that let two HTTP parsers disagree about where a request ends or where it goes
// (request smuggling) are refused with 400 and the connection closed. Beast alone tolerates
// some of them (obsolete line folding, repeated equal Content-Length values).
#pragma once

#include <string_view>

namespace portcullis::net {

enum class HeadProblem {
  None,
  BareLineFeed,             // a line ending in LF without CR
  BadRequestLine,           // not "METHOD SP target SP HTTP/1.x"
  ObsFold,                  // a header line starting with SP/HT (obsolete line folding)
  InvalidHeaderName,        // empty, non-token characters, or space before the colon
  InvalidHeaderValue,       // NUL or CR inside a value
  ContentLengthAndTransferEncoding,
  DuplicateContentLength,
  BadContentLength,         // not a plain decimal number
  BadTransferEncoding,      // anything but exactly "chunked", repeated, or on HTTP/1.0
  MissingHost,              // HTTP/1.1 without Host
  DuplicateHost,
  AbsoluteTargetHostMismatch,  // absolute-form target naming another authority than Host
};

// Checks `head`: everything up to and including the blank line ("\r\n\r\n"). A head that
// does not end with that blank line is not a request head (RFC 9112 section 2.1:
// start-line CRLF *( field-line CRLF ) CRLF) and is BadRequestLine.
[[nodiscard]] HeadProblem check_request_head(std::string_view head);

// True when `bytes` hold an LF not preceded by CR. The session uses it on a head still being
// read: such a head can never be accepted, so it is refused without waiting for its end.
[[nodiscard]] bool has_bare_line_feed(std::string_view bytes);

// A short English reason, for logs and the 400 answer.
[[nodiscard]] std::string_view describe(HeadProblem problem);

// For an absolute-form target ("http://host/path?q"), the origin-form part ("/path?q", "/" when
// empty); any other target is returned unchanged.
[[nodiscard]] std::string_view origin_form(std::string_view target);

}  // namespace portcullis::net
