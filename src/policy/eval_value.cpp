#include "policy/eval_value.hpp"

namespace portcullis::policy {

EV view(const Value& value) {
  const auto& n = value.node();
  EV e;
  e.kind = n.kind;
  switch (n.kind) {
    case Kind::Bool:
      e.b = n.b;
      break;
    case Kind::Long:
      e.n = n.n;
      break;
    case Kind::String:
      e.str = n.s;
      break;
    case Kind::Entity:
      e.uid = &n.uid;
      break;
    case Kind::Set:
    case Kind::Record:
      e.ref = &value;
      break;
    case Kind::Extension:
      e.ext = n.ext.kind;
      e.n = n.ext.n;
      e.ip = n.ext.ip;
      break;
  }
  return e;
}

Value to_value(const EV& ev) {
  switch (ev.kind) {
    case Kind::Bool:
      return Value::boolean(ev.b);
    case Kind::Long:
      return Value::integer(ev.n);
    case Kind::String:
      return Value::string(std::string(ev.str));
    case Kind::Entity:
      return Value::entity(*ev.uid);
    case Kind::Set:
    case Kind::Record:
      return ev.own ? *ev.own : *ev.ref;
    case Kind::Extension: {
      auto node = std::make_shared<Value::Node>();
      node->kind = Kind::Extension;
      node->ext.kind = ev.ext;
      node->ext.n = ev.n;
      node->ext.ip = ev.ip;
      return Value(std::move(node));
    }
  }
  return Value();
}

int compare_ev(const EV& a, const EV& b) {
  if (a.kind != b.kind) return three_way(a.kind, b.kind);
  switch (a.kind) {
    case Kind::Bool:
      return three_way(a.b, b.b);
    case Kind::Long:
      return three_way(a.n, b.n);
    case Kind::String: {
      const int c = a.str.compare(b.str);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::Entity:
      return a.uid == b.uid ? 0 : compare_uids(*a.uid, *b.uid);
    case Kind::Set:
    case Kind::Record:
      return compare_nodes(a.node(), b.node());
    case Kind::Extension:
      if (a.ext != b.ext) return three_way(a.ext, b.ext);
      if (a.ext == ExtKind::Ip) return compare_ips(a.ip, b.ip);
      return three_way(a.n, b.n);
  }
  return 0;
}

const char* ev_type_name(const EV& ev) { return type_name(ev.kind, ev.ext); }

}  // namespace portcullis::policy
