// The parsed form of Cedar policies: expression trees whose literals are pre-built Values (so
// evaluation only points at them), `like` patterns pre-split, and policy scopes kept apart from
// conditions so the policy set can index on them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "portcullis/policy/value.hpp"

namespace portcullis::policy {

enum class Var : std::uint8_t { Principal, Action, Resource, Context };

enum class Op : std::uint8_t {
  Literal,      // literal (Bool, Long, String, Entity; constant sets and records too)
  Variable,     // var
  Not,          // kids[0]
  Neg,          // kids[0]
  And,          // kids (n-ary, left to right)
  Or,           // kids (n-ary)
  If,           // kids[0] then kids[1] else kids[2]
  Eq, Ne, Lt, Le, Gt, Ge,  // kids[0] op kids[1]
  Arith,        // kids[0] (arith_ops[i-1] kids[i])...: + - * left to right
  In,           // kids[0] in kids[1]
  Has,          // kids[0] has name
  GetAttr,      // kids[0].name
  Like,         // kids[0] like pattern
  Is,           // kids[0] is name
  IsIn,         // kids[0] is name in kids[1]
  Contains, ContainsAll, ContainsAny,  // kids[0].f(kids[1])
  IsEmpty,      // kids[0].isEmpty()
  HasTag, GetTag,  // kids[0].f(kids[1])
  SetLit,       // [kids...]
  RecordLit,    // {keys[i]: kids[i]}
  ExtCall,      // fn(kids...) — methods have the receiver as kids[0]
};

enum class ExtFn : std::uint8_t {
  Ip, Decimal, Datetime, Duration,                       // constructors (function style)
  IsIpv4, IsIpv6, IsLoopback, IsMulticast, IsInRange,    // ipaddr methods
  LessThan, LessThanOrEqual, GreaterThan, GreaterThanOrEqual,  // decimal methods
  Offset, DurationSince, ToDate, ToTime,                 // datetime methods
  ToMilliseconds, ToSeconds, ToMinutes, ToHours, ToDays,  // duration methods
};

// A `like` pattern: literal pieces separated by `*` wildcards (pieces.size() = stars + 1).
struct LikePattern {
  std::vector<std::string> pieces;
  [[nodiscard]] bool matches(std::string_view text) const;
};

struct Expr {
  Op op = Op::Literal;
  Var var = Var::Principal;
  ExtFn fn = ExtFn::Ip;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::vector<std::unique_ptr<Expr>> kids;
  std::vector<char> arith_ops;     // Arith: '+', '-', '*'
  std::string name;                // attribute, type name (Is/IsIn)
  std::vector<std::string> keys;   // RecordLit
  LikePattern pattern;             // Like
  Value literal;                   // Literal

  [[nodiscard]] std::unique_ptr<Expr> clone() const;
};

enum class Effect : std::uint8_t { Permit, Forbid };

// A scope constraint on principal, action or resource.
enum class ScopeOp : std::uint8_t {
  Any,    // no constraint
  Eq,     // == uids[0]
  In,     // in uids[0]
  Is,     // is type
  IsIn,   // is type in uids[0]
  InSet,  // action in [uids...]
};

struct Scope {
  ScopeOp op = ScopeOp::Any;
  std::string type;
  std::vector<EntityUid> uids;
};

struct Condition {
  bool is_when = true;
  std::unique_ptr<Expr> body;
};

struct Annotation {
  std::string key;
  std::string value;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

struct Policy {
  Effect effect = Effect::Permit;
  std::string id;  // @id or policy<N>, set by the policy set
  std::vector<Annotation> annotations;
  Scope principal;
  Scope action;
  Scope resource;
  std::vector<Condition> conditions;
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  [[nodiscard]] const Annotation* annotation(std::string_view key) const {
    for (const auto& a : annotations) {
      if (a.key == key) return &a;
    }
    return nullptr;
  }
};

}  // namespace portcullis::policy
