#include "policy/evaluator.hpp"

#include <algorithm>

#include "policy/extensions.hpp"

namespace portcullis::policy {
namespace {

const Value* request_var_value(const Request& r, Var v) {
  return v == Var::Context ? &r.context : nullptr;
}

// compare_ev(view(v), x) without building the view for the common scalar kinds.
int compare_element(const Value& v, const EV& x) {
  const Value::Node& n = v.node();
  if (n.kind != x.kind) return n.kind < x.kind ? -1 : 1;
  switch (n.kind) {
    case Kind::Long:
      return n.n < x.n ? -1 : (n.n > x.n ? 1 : 0);
    case Kind::String: {
      const int c = std::string_view(n.s).compare(x.str);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    default:
      return compare_ev(view(v), x);
  }
}

// Binary search for `x` among a set's sorted elements.
bool set_contains(const Value::Node& set, const EV& x) {
  std::size_t lo = 0;
  std::size_t hi = set.elements.size();
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    const int c = compare_element(set.elements[mid], x);
    if (c == 0) return true;
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return false;
}

}  // namespace

bool Evaluator::fail(std::string message) {
  error_ = std::move(message);
  return false;
}

bool Evaluator::type_error(const char* expected, const EV& got) {
  return fail(std::string("type error: expected ") + expected + ", got " + ev_type_name(got));
}

const EntityRecord* Evaluator::lookup(const EntityUid& uid) const {
  // The request's own entities are resolved already; they are by far the most looked up.
  if (view_.records_resolved) {
    const Request& r = *view_.request;
    if (&uid == &r.principal) return view_.records[0];
    if (&uid == &r.action) return view_.records[1];
    if (&uid == &r.resource) return view_.records[2];
  }
  return view_.store->find(uid);
}

const EntityRecord* Evaluator::entity(const EntityUid& uid) const {
  const EntityRecord* r = lookup(uid);
  return r != nullptr && r->defined ? r : nullptr;
}

bool Evaluator::implied_exists(const EntityUid& uid) const {
  const EntityUid* vars[3] = {&view_.request->principal, &view_.request->action,
                              &view_.request->resource};
  for (int i = 0; i < 3; ++i) {
    if (view_.implied[i] != nullptr && view_.implied[i]->exists && *vars[i] == uid) return true;
  }
  return false;
}

bool Evaluator::is_in(const EntityUid& x, const EntityUid& y) const {
  if (x == y) return true;
  const EntityRecord* rx = lookup(x);
  if (rx != nullptr && !rx->ancestors.empty()) {
    const auto& ancestors = rx->ancestors;
    if (ancestors.size() <= 8) {
      // A short list: comparing uids beats hashing `y`.
      for (const auto a : ancestors) {
        if (view_.store->records[a].uid == y) return true;
      }
    } else {
      const std::int64_t iy = view_.store->index_of(y);
      if (iy >= 0 && std::binary_search(ancestors.begin(), ancestors.end(),
                                        static_cast<std::uint32_t>(iy))) {
        return true;
      }
    }
  }
  const EntityUid* vars[3] = {&view_.request->principal, &view_.request->action,
                              &view_.request->resource};
  for (int i = 0; i < 3; ++i) {
    const ImpliedEntity* imp = view_.implied[i];
    if (imp == nullptr || imp->ancestors.empty() || !(*vars[i] == x)) continue;
    for (const auto& a : imp->ancestors) {
      if (a == y) return true;
    }
  }
  return false;
}

bool Evaluator::scope_matches(const Policy& policy) const {
  const auto match = [this](const Scope& s, const EntityUid& v) {
    switch (s.op) {
      case ScopeOp::Any:
        return true;
      case ScopeOp::Eq:
        return v == s.uids[0];
      case ScopeOp::In:
        return is_in(v, s.uids[0]);
      case ScopeOp::Is:
        return v.type == s.type;
      case ScopeOp::IsIn:
        return v.type == s.type && is_in(v, s.uids[0]);
      case ScopeOp::InSet:
        for (const auto& u : s.uids) {
          if (is_in(v, u)) return true;
        }
        return false;
    }
    return false;
  };
  const Request& r = *view_.request;
  return match(policy.principal, r.principal) && match(policy.action, r.action) &&
         match(policy.resource, r.resource);
}

Outcome Evaluator::evaluate(const Policy& policy) {
  if (!scope_matches(policy)) return Outcome::NotSatisfied;
  for (const auto& c : policy.conditions) {
    EV v;
    if (!eval(*c.body, v)) return Outcome::Error;
    if (v.kind != Kind::Bool) {
      type_error("Bool", v);
      return Outcome::Error;
    }
    if (v.b != c.is_when) return Outcome::NotSatisfied;
  }
  return Outcome::Satisfied;
}

bool Evaluator::has_attr(const EV& base, const std::string& name, EV& out) {
  if (base.kind == Kind::Record) {
    out = EV::boolean(find_field(base.node(), name) != nullptr);
    return true;
  }
  if (base.kind == Kind::Entity) {
    const EntityRecord* r = entity(*base.uid);
    out = EV::boolean(r != nullptr && find_field(r->attrs.node(), name) != nullptr);
    return true;
  }
  return type_error("Entity or Record", base);
}

bool Evaluator::get_attr(const EV& base, const std::string& name, EV& out) {
  if (base.kind == Kind::Record) {
    const Value* v = find_field(base.node(), name);
    if (v == nullptr) return fail("record does not have the attribute `" + name + "`");
    // A field of an owned record must be copied out before `base` goes away.
    if (base.own) {
      EV tmp = view(*v);
      out = EV();
      out.kind = tmp.kind;
      if (tmp.kind == Kind::Set || tmp.kind == Kind::Record) {
        out.own = *v;
      } else if (tmp.kind == Kind::String || tmp.kind == Kind::Entity) {
        out.own = *v;  // keeps the node alive; re-point into it
        EV again = view(*out.own);
        out.str = again.str;
        out.uid = again.uid;
        out.kind = again.kind;
      } else {
        out = tmp;
      }
      return true;
    }
    out = view(*v);
    return true;
  }
  if (base.kind == Kind::Entity) {
    const EntityRecord* r = entity(*base.uid);
    if (r == nullptr) {
      if (implied_exists(*base.uid)) {
        return fail("entity " + base.uid->to_string() + " does not have the attribute `" + name +
                    "`");
      }
      return fail("entity " + base.uid->to_string() + " does not exist");
    }
    const Value* v = find_field(r->attrs.node(), name);
    if (v == nullptr) {
      return fail("entity " + base.uid->to_string() + " does not have the attribute `" + name +
                  "`");
    }
    out = view(*v);
    return true;
  }
  return type_error("Entity or Record", base);
}

bool Evaluator::eval_in(const EV& left, const EV& right, EV& out) {
  if (left.kind != Kind::Entity) return type_error("Entity", left);
  if (right.kind == Kind::Entity) {
    out = EV::boolean(is_in(*left.uid, *right.uid));
    return true;
  }
  if (right.kind != Kind::Set) return type_error("Entity or Set", right);
  const auto& elements = right.node().elements;
  for (const auto& e : elements) {
    if (e.node().kind != Kind::Entity) {
      return fail(std::string("type error: expected a set of entities, found an element of type ") +
                  type_name(e.node()));
    }
  }
  for (const auto& e : elements) {
    if (is_in(*left.uid, e.node().uid)) {
      out = EV::boolean(true);
      return true;
    }
  }
  out = EV::boolean(false);
  return true;
}

bool Evaluator::eval_binary(const Expr& e, EV& out) {
  EV l;
  EV r;
  if (!eval(*e.kids[0], l) || !eval(*e.kids[1], r)) return false;
  switch (e.op) {
    case Op::Eq:
      out = EV::boolean(compare_ev(l, r) == 0);
      return true;
    case Op::Ne:
      out = EV::boolean(compare_ev(l, r) != 0);
      return true;
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge: {
      const bool longs = l.kind == Kind::Long && r.kind == Kind::Long;
      const bool times = l.kind == Kind::Extension && r.kind == Kind::Extension &&
                         l.ext == r.ext &&
                         (l.ext == ExtKind::Datetime || l.ext == ExtKind::Duration);
      if (!longs && !times) {
        if (l.kind == Kind::Long || l.kind != Kind::Extension) {
          return l.kind != Kind::Long ? type_error("Long, datetime or duration", l)
                                      : type_error("Long", r);
        }
        return fail(std::string("type error: cannot compare ") + ev_type_name(l) + " and " +
                    ev_type_name(r) + " with an ordering operator");
      }
      const std::int64_t a = l.n;
      const std::int64_t b = r.n;
      bool v = false;
      if (e.op == Op::Lt) v = a < b;
      if (e.op == Op::Le) v = a <= b;
      if (e.op == Op::Gt) v = a > b;
      if (e.op == Op::Ge) v = a >= b;
      out = EV::boolean(v);
      return true;
    }
    case Op::In:
      return eval_in(l, r, out);
    case Op::Contains:
      if (l.kind != Kind::Set) return type_error("Set", l);
      out = EV::boolean(set_contains(l.node(), r));
      return true;
    case Op::ContainsAll:
    case Op::ContainsAny: {
      if (l.kind != Kind::Set) return type_error("Set", l);
      if (r.kind != Kind::Set) return type_error("Set", r);
      const auto& mine = l.node();
      const auto& theirs = r.node().elements;
      if (e.op == Op::ContainsAll) {
        for (const auto& x : theirs) {
          if (!set_contains(mine, view(x))) {
            out = EV::boolean(false);
            return true;
          }
        }
        out = EV::boolean(true);
        return true;
      }
      for (const auto& x : theirs) {
        if (set_contains(mine, view(x))) {
          out = EV::boolean(true);
          return true;
        }
      }
      out = EV::boolean(false);
      return true;
    }
    case Op::HasTag:
    case Op::GetTag: {
      if (l.kind != Kind::Entity) return type_error("Entity", l);
      if (r.kind != Kind::String) return type_error("String", r);
      const EntityRecord* rec = entity(*l.uid);
      const Value* tag = rec == nullptr ? nullptr : find_field(rec->tags.node(), r.str);
      if (e.op == Op::HasTag) {
        out = EV::boolean(tag != nullptr);
        return true;
      }
      if (rec == nullptr) {
        return fail("entity " + l.uid->to_string() + " does not exist");
      }
      if (tag == nullptr) {
        return fail("entity " + l.uid->to_string() + " does not have the tag `" +
                    std::string(r.str) + "`");
      }
      out = view(*tag);
      return true;
    }
    default:
      return fail("internal error: not a binary operator");
  }
}

bool Evaluator::eval(const Expr& e, EV& out) {
  switch (e.op) {
    case Op::Literal:
      out = view(e.literal);
      return true;
    case Op::Variable:
      switch (e.var) {
        case Var::Principal:
          out = EV::entity(view_.request->principal);
          return true;
        case Var::Action:
          out = EV::entity(view_.request->action);
          return true;
        case Var::Resource:
          out = EV::entity(view_.request->resource);
          return true;
        case Var::Context:
          out = view(*request_var_value(*view_.request, Var::Context));
          return true;
      }
      return fail("internal error: unknown variable");
    case Op::Not: {
      if (!eval(*e.kids[0], out)) return false;
      if (out.kind != Kind::Bool) return type_error("Bool", out);
      out.b = !out.b;
      return true;
    }
    case Op::Neg: {
      if (!eval(*e.kids[0], out)) return false;
      if (out.kind != Kind::Long) return type_error("Long", out);
      if (out.n == INT64_MIN) return fail("integer overflow while attempting to negate " + std::to_string(out.n));
      out.n = -out.n;
      return true;
    }
    case Op::And:
    case Op::Or: {
      const bool stop_on = e.op == Op::Or;
      for (const auto& k : e.kids) {
        if (!eval(*k, out)) return false;
        if (out.kind != Kind::Bool) return type_error("Bool", out);
        if (out.b == stop_on) return true;
      }
      out = EV::boolean(!stop_on);
      return true;
    }
    case Op::If: {
      EV c;
      if (!eval(*e.kids[0], c)) return false;
      if (c.kind != Kind::Bool) return type_error("Bool", c);
      return eval(*e.kids[c.b ? 1 : 2], out);
    }
    case Op::Eq:
    case Op::Ne:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
    case Op::In:
    case Op::Contains:
    case Op::ContainsAll:
    case Op::ContainsAny:
    case Op::HasTag:
    case Op::GetTag:
      return eval_binary(e, out);
    case Op::Arith: {
      if (!eval(*e.kids[0], out)) return false;
      for (std::size_t i = 1; i < e.kids.size(); ++i) {
        EV r;
        if (!eval(*e.kids[i], r)) return false;
        if (out.kind != Kind::Long) return type_error("Long", out);
        if (r.kind != Kind::Long) return type_error("Long", r);
        const char op = e.arith_ops[i - 1];
        std::int64_t v = 0;
        bool overflow = false;
        if (op == '+') overflow = __builtin_add_overflow(out.n, r.n, &v);
        if (op == '-') overflow = __builtin_sub_overflow(out.n, r.n, &v);
        if (op == '*') overflow = __builtin_mul_overflow(out.n, r.n, &v);
        if (overflow) {
          const char* what = op == '+' ? "add" : (op == '-' ? "subtract" : "multiply");
          return fail(std::string("integer overflow while attempting to ") + what + " " +
                      std::to_string(out.n) + " and " + std::to_string(r.n));
        }
        out = EV::integer(v);
      }
      return true;
    }
    case Op::Has: {
      EV base;
      if (!eval(*e.kids[0], base)) return false;
      return has_attr(base, e.name, out);
    }
    case Op::GetAttr: {
      EV base;
      if (!eval(*e.kids[0], base)) return false;
      return get_attr(base, e.name, out);
    }
    case Op::Like: {
      EV s;
      if (!eval(*e.kids[0], s)) return false;
      if (s.kind != Kind::String) return type_error("String", s);
      out = EV::boolean(e.pattern.matches(s.str));
      return true;
    }
    case Op::Is:
    case Op::IsIn: {
      EV v;
      if (!eval(*e.kids[0], v)) return false;
      if (v.kind != Kind::Entity) return type_error("Entity", v);
      if (v.uid->type != e.name || e.op == Op::Is) {
        out = EV::boolean(v.uid->type == e.name);
        return true;
      }
      EV r;
      if (!eval(*e.kids[1], r)) return false;
      return eval_in(v, r, out);
    }
    case Op::IsEmpty: {
      EV s;
      if (!eval(*e.kids[0], s)) return false;
      if (s.kind != Kind::Set) return type_error("Set", s);
      out = EV::boolean(s.node().elements.empty());
      return true;
    }
    case Op::SetLit: {
      std::vector<Value> elements;
      elements.reserve(e.kids.size());
      for (const auto& k : e.kids) {
        EV v;
        if (!eval(*k, v)) return false;
        elements.push_back(to_value(v));
      }
      out = EV();
      out.kind = Kind::Set;
      out.own = Value::set(std::move(elements));
      return true;
    }
    case Op::RecordLit: {
      std::vector<std::pair<std::string, Value>> fields;
      fields.reserve(e.kids.size());
      for (std::size_t i = 0; i < e.kids.size(); ++i) {
        EV v;
        if (!eval(*e.kids[i], v)) return false;
        fields.emplace_back(e.keys[i], to_value(v));
      }
      out = EV();
      out.kind = Kind::Record;
      out.own = Value::record(std::move(fields));
      return true;
    }
    case Op::ExtCall:
      return eval_ext(e, out);
  }
  return fail("internal error: unknown expression");
}

bool Evaluator::eval_ext(const Expr& e, EV& out) {
  EV args[2];
  for (std::size_t i = 0; i < e.kids.size() && i < 2; ++i) {
    if (!eval(*e.kids[i], args[i])) return false;
  }
  const auto want = [&](std::size_t i, ExtKind kind, const char* name) {
    const EV& a = args[i];
    if (a.kind == Kind::Extension && a.ext == kind) return true;
    type_error(name, a);
    return false;
  };
  std::string error;
  switch (e.fn) {
    case ExtFn::Ip: {
      if (args[0].kind != Kind::String) return type_error("String", args[0]);
      auto ip = ext::parse_ip(args[0].str, error);
      if (!ip) return fail("error while evaluating `ipaddr` extension function: " + error);
      out = EV::extension(ExtKind::Ip, 0);
      out.ip = *ip;
      return true;
    }
    case ExtFn::Decimal:
    case ExtFn::Datetime:
    case ExtFn::Duration: {
      if (args[0].kind != Kind::String) return type_error("String", args[0]);
      std::optional<std::int64_t> v;
      ExtKind kind = ExtKind::Decimal;
      const char* name = "decimal";
      if (e.fn == ExtFn::Decimal) {
        v = ext::parse_decimal(args[0].str, error);
      } else if (e.fn == ExtFn::Datetime) {
        v = ext::parse_datetime(args[0].str, error);
        kind = ExtKind::Datetime;
        name = "datetime";
      } else {
        v = ext::parse_duration(args[0].str, error);
        kind = ExtKind::Duration;
        name = "duration";
      }
      if (!v) {
        return fail(std::string("error while evaluating `") + name +
                    "` extension function: " + error);
      }
      out = EV::extension(kind, *v);
      return true;
    }
    case ExtFn::IsIpv4:
    case ExtFn::IsIpv6:
    case ExtFn::IsLoopback:
    case ExtFn::IsMulticast: {
      if (!want(0, ExtKind::Ip, "ipaddr")) return false;
      const IpAddr& ip = args[0].ip;
      bool v = false;
      if (e.fn == ExtFn::IsIpv4) v = !ip.v6;
      if (e.fn == ExtFn::IsIpv6) v = ip.v6;
      if (e.fn == ExtFn::IsLoopback) v = ext::ip_is_loopback(ip);
      if (e.fn == ExtFn::IsMulticast) v = ext::ip_is_multicast(ip);
      out = EV::boolean(v);
      return true;
    }
    case ExtFn::IsInRange:
      if (!want(0, ExtKind::Ip, "ipaddr") || !want(1, ExtKind::Ip, "ipaddr")) return false;
      out = EV::boolean(ext::ip_is_in_range(args[0].ip, args[1].ip));
      return true;
    case ExtFn::LessThan:
    case ExtFn::LessThanOrEqual:
    case ExtFn::GreaterThan:
    case ExtFn::GreaterThanOrEqual: {
      if (!want(0, ExtKind::Decimal, "decimal") || !want(1, ExtKind::Decimal, "decimal")) {
        return false;
      }
      const std::int64_t a = args[0].n;
      const std::int64_t b = args[1].n;
      bool v = false;
      if (e.fn == ExtFn::LessThan) v = a < b;
      if (e.fn == ExtFn::LessThanOrEqual) v = a <= b;
      if (e.fn == ExtFn::GreaterThan) v = a > b;
      if (e.fn == ExtFn::GreaterThanOrEqual) v = a >= b;
      out = EV::boolean(v);
      return true;
    }
    case ExtFn::Offset: {
      if (!want(0, ExtKind::Datetime, "datetime") || !want(1, ExtKind::Duration, "duration")) {
        return false;
      }
      std::int64_t v = 0;
      if (__builtin_add_overflow(args[0].n, args[1].n, &v)) {
        return fail("error while evaluating `offset` extension function: overflows when adding "
                    "an offset");
      }
      out = EV::extension(ExtKind::Datetime, v);
      return true;
    }
    case ExtFn::DurationSince: {
      if (!want(0, ExtKind::Datetime, "datetime") || !want(1, ExtKind::Datetime, "datetime")) {
        return false;
      }
      std::int64_t v = 0;
      if (__builtin_sub_overflow(args[0].n, args[1].n, &v)) {
        return fail("error while evaluating `durationSince` extension function: overflows when "
                    "computing the duration");
      }
      out = EV::extension(ExtKind::Duration, v);
      return true;
    }
    case ExtFn::ToDate: {
      if (!want(0, ExtKind::Datetime, "datetime")) return false;
      const auto v = ext::datetime_to_date(args[0].n);
      if (!v) {
        return fail("error while evaluating `toDate` extension function: overflows when "
                    "computing the date");
      }
      out = EV::extension(ExtKind::Datetime, *v);
      return true;
    }
    case ExtFn::ToTime:
      if (!want(0, ExtKind::Datetime, "datetime")) return false;
      out = EV::extension(ExtKind::Duration, ext::datetime_to_time(args[0].n));
      return true;
    case ExtFn::ToMilliseconds:
    case ExtFn::ToSeconds:
    case ExtFn::ToMinutes:
    case ExtFn::ToHours:
    case ExtFn::ToDays: {
      if (!want(0, ExtKind::Duration, "duration")) return false;
      std::int64_t v = args[0].n;
      if (e.fn != ExtFn::ToMilliseconds) v /= 1000;
      if (e.fn == ExtFn::ToMinutes || e.fn == ExtFn::ToHours || e.fn == ExtFn::ToDays) v /= 60;
      if (e.fn == ExtFn::ToHours || e.fn == ExtFn::ToDays) v /= 60;
      if (e.fn == ExtFn::ToDays) v /= 24;
      out = EV::integer(v);
      return true;
    }
  }
  return fail("internal error: unknown extension function");
}

}  // namespace portcullis::policy
