#include "portcullis/protocol/rejection.hpp"

namespace portcullis::protocol {
namespace {

struct Shape {
  int status;
  int code;
};

Shape shape_of(RejectReason reason) {
  switch (reason) {
    case RejectReason::BadTarget:
      return {400, 0};
    case RejectReason::HostMismatch:
      return {400, 0};
    case RejectReason::NoRoute:
      return {404, 0};
    case RejectReason::MethodNotAllowed:
      return {405, 0};
    case RejectReason::UnsupportedBinding:
      return {404, 0};
    case RejectReason::UnsupportedMediaType:
      return {415, 0};
    case RejectReason::ParseError:
      return {400, -32700};
    case RejectReason::InvalidRequest:
      return {400, -32600};
    case RejectReason::MethodNotFound:
      return {400, -32601};
    case RejectReason::InvalidParams:
      return {400, -32602};
    case RejectReason::BadVersion:
      return {400, -32600};
  }
  return {400, 0};
}

}  // namespace

Rejection::Rejection(RejectReason r, std::string d) : reason(r), detail(std::move(d)) {
  const Shape shape = shape_of(r);
  http_status = shape.status;
  jsonrpc_code = shape.code;
}

}  // namespace portcullis::protocol
