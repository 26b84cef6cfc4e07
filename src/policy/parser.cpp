#include "policy/parser.hpp"

#include <charconv>
#include <limits>
#include <optional>
#include <set>

#include "policy/lexer.hpp"
#include "portcullis/common/ascii.hpp"
#include "portcullis/common/utf8.hpp"

namespace portcullis::policy {
namespace {

constexpr std::string_view kReserved[] = {"true", "false", "if", "then", "else",
                                          "in",   "is",    "like", "has", "__cedar"};

bool is_reserved(std::string_view word) {
  for (auto r : kReserved) {
    if (word == r) return true;
  }
  return false;
}

struct ExtInfo {
  std::string_view name;
  ExtFn fn;
  bool method;
  std::size_t arity;  // including the receiver for methods
};

constexpr ExtInfo kExtFns[] = {
    {"ip", ExtFn::Ip, false, 1},
    {"decimal", ExtFn::Decimal, false, 1},
    {"datetime", ExtFn::Datetime, false, 1},
    {"duration", ExtFn::Duration, false, 1},
    {"isIpv4", ExtFn::IsIpv4, true, 1},
    {"isIpv6", ExtFn::IsIpv6, true, 1},
    {"isLoopback", ExtFn::IsLoopback, true, 1},
    {"isMulticast", ExtFn::IsMulticast, true, 1},
    {"isInRange", ExtFn::IsInRange, true, 2},
    {"lessThan", ExtFn::LessThan, true, 2},
    {"lessThanOrEqual", ExtFn::LessThanOrEqual, true, 2},
    {"greaterThan", ExtFn::GreaterThan, true, 2},
    {"greaterThanOrEqual", ExtFn::GreaterThanOrEqual, true, 2},
    {"offset", ExtFn::Offset, true, 2},
    {"durationSince", ExtFn::DurationSince, true, 2},
    {"toDate", ExtFn::ToDate, true, 1},
    {"toTime", ExtFn::ToTime, true, 1},
    {"toMilliseconds", ExtFn::ToMilliseconds, true, 1},
    {"toSeconds", ExtFn::ToSeconds, true, 1},
    {"toMinutes", ExtFn::ToMinutes, true, 1},
    {"toHours", ExtFn::ToHours, true, 1},
    {"toDays", ExtFn::ToDays, true, 1},
};

const ExtInfo* find_ext(std::string_view name) {
  for (const auto& e : kExtFns) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

// Decodes escapes; with `pieces` non-null, an unescaped `*` splits the pattern and `\*` is a
// literal star (Cedar's `like` patterns).
bool unescape(std::string_view raw, std::string& out, std::vector<std::string>* pieces,
              std::string& error) {
  out.clear();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '*' && pieces != nullptr) {
      pieces->push_back(std::move(out));
      out.clear();
      continue;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 1 >= raw.size()) {
      error = "invalid escape at end of string";
      return false;
    }
    const char e = raw[++i];
    switch (e) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case '\\': out += '\\'; break;
      case '0': out += '\0'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case '*':
        if (pieces == nullptr) {
          error = "invalid escape `\\*` (only allowed in `like` patterns)";
          return false;
        }
        out += '*';
        break;
      case 'x': {
        const int hi = i + 1 < raw.size() ? hex_digit_value(raw[i + 1]) : -1;
        const int lo = i + 2 < raw.size() ? hex_digit_value(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          error = "invalid `\\x` escape: expected two hex digits";
          return false;
        }
        const int value = hi * 16 + lo;
        if (value > 0x7F) {
          error = "invalid `\\x` escape: value must be at most \\x7F";
          return false;
        }
        out += static_cast<char>(value);
        i += 2;
        break;
      }
      case 'u': {
        if (i + 1 >= raw.size() || raw[i + 1] != '{') {
          error = "invalid `\\u` escape: expected `\\u{...}`";
          return false;
        }
        std::size_t j = i + 2;
        std::uint32_t cp = 0;
        std::size_t digits = 0;
        while (j < raw.size() && hex_digit_value(raw[j]) >= 0) {
          if (++digits > 6) break;
          cp = cp * 16 + static_cast<std::uint32_t>(hex_digit_value(raw[j]));
          ++j;
        }
        if (digits == 0 || digits > 6 || j >= raw.size() || raw[j] != '}') {
          error = "invalid `\\u` escape: expected 1 to 6 hex digits in braces";
          return false;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          error = "invalid `\\u` escape: not a Unicode scalar value";
          return false;
        }
        append_utf8(out, cp);
        i = j;
        break;
      }
      default:
        error = std::string("invalid escape `\\") + e + "`";
        return false;
    }
  }
  return true;
}

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options)
      : options_(options), tokens_(tokenize(text)) {}

  void policies(std::vector<Policy>& out, Diagnostics& diagnostics) {
    while (peek().kind != Tok::End) {
      failed_ = false;
      Policy policy;
      if (parse_policy(policy)) {
        out.push_back(std::move(policy));
      } else {
        diagnostics.push_back(Diagnostic{options_.file, error_line_, error_column_, error_});
        recover();
      }
    }
  }

  Result<std::unique_ptr<Expr>> expression() {
    auto e = parse_expr();
    if (e && peek().kind != Tok::End) {
      error_at(peek(), std::string("unexpected ") + describe(peek()) + " after the expression");
      e.reset();
    }
    if (!e) {
      return fail(std::to_string(error_line_) + ":" + std::to_string(error_column_) + ": " +
                  error_);
    }
    return e;
  }

 private:
  // --- tokens -------------------------------------------------------------------------------
  const Token& peek(std::size_t ahead = 0) const {
    const std::size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool at(Tok kind) const { return peek().kind == kind; }
  bool at_ident(std::string_view word) const {
    return peek().kind == Tok::Ident && peek().text == word;
  }
  bool accept(Tok kind) {
    if (!at(kind)) return false;
    next();
    return true;
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::Ident:
        return "`" + std::string(t.text) + "`";
      case Tok::Int:
        return "integer `" + std::string(t.text) + "`";
      case Tok::String:
        return "string literal";
      default:
        return token_name(t.kind);
    }
  }

  bool error_at(const Token& t, std::string message) {
    if (!failed_) {
      failed_ = true;
      error_line_ = t.line;
      error_column_ = t.column;
      error_ = t.kind == Tok::Error ? t.message : std::move(message);
    }
    return false;
  }
  bool error_at(std::uint32_t line, std::uint32_t column, std::string message) {
    if (!failed_) {
      failed_ = true;
      error_line_ = line;
      error_column_ = column;
      error_ = std::move(message);
    }
    return false;
  }

  bool expect(Tok kind, const char* what) {
    if (accept(kind)) return true;
    return error_at(peek(), std::string("expected ") + what + ", found " + describe(peek()));
  }

  void recover() {
    // Skip to just after the next `;` (or the end).
    while (!at(Tok::End)) {
      if (next().kind == Tok::Semicolon) break;
    }
  }

  // --- depth bound ---------------------------------------------------------------------------
  struct DepthGuard {
    Parser& p;
    bool ok;
    explicit DepthGuard(Parser& parser) : p(parser), ok(++parser.depth_ <= parser.options_.max_depth) {
      if (!ok) {
        p.error_at(p.peek(), "expression nested too deeply (limit " +
                                 std::to_string(p.options_.max_depth) + ")");
      }
    }
    ~DepthGuard() { --p.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
  };

  // --- policies ------------------------------------------------------------------------------
  bool parse_policy(Policy& policy) {
    policy.file = options_.file;
    while (at(Tok::At)) {
      const Token& at_tok = next();
      if (!at(Tok::Ident)) return error_at(peek(), "expected an annotation name after `@`");
      Annotation a;
      a.key = std::string(next().text);
      a.line = at_tok.line;
      a.column = at_tok.column;
      if (accept(Tok::LParen)) {
        if (!at(Tok::String)) {
          return error_at(peek(), "expected a string literal as the annotation value");
        }
        const Token& s = next();
        std::string error;
        if (!unescape(s.text, a.value, nullptr, error)) return error_at(s, error);
        if (!expect(Tok::RParen, "`)`")) return false;
      }
      if (policy.annotation(a.key) != nullptr) {
        return error_at(a.line, a.column, "duplicate annotation `@" + a.key + "`");
      }
      policy.annotations.push_back(std::move(a));
    }
    const Token& effect = peek();
    if (at_ident("permit")) {
      policy.effect = Effect::Permit;
    } else if (at_ident("forbid")) {
      policy.effect = Effect::Forbid;
    } else {
      return error_at(effect, "expected `permit` or `forbid`, found " + describe(effect));
    }
    next();
    policy.line = effect.line;
    policy.column = effect.column;
    if (!expect(Tok::LParen, "`(`")) return false;
    if (!parse_scope("principal", policy.principal)) return false;
    if (!expect(Tok::Comma, "`,`")) return false;
    if (!parse_scope("action", policy.action)) return false;
    if (!expect(Tok::Comma, "`,`")) return false;
    if (!parse_scope("resource", policy.resource)) return false;
    if (at(Tok::Comma)) {
      return error_at(peek(), "a policy scope has exactly three parts: principal, action, resource");
    }
    if (!expect(Tok::RParen, "`)`")) return false;
    while (at_ident("when") || at_ident("unless")) {
      Condition c;
      c.is_when = next().text == "when";
      if (!expect(Tok::LBrace, "`{`")) return false;
      if (at(Tok::RBrace)) return error_at(peek(), "a condition needs an expression");
      c.body = parse_expr();
      if (!c.body) return false;
      if (!expect(Tok::RBrace, "`}`")) return false;
      policy.conditions.push_back(std::move(c));
    }
    if (!at(Tok::Semicolon)) {
      return error_at(peek(), "expected `when`, `unless` or `;`, found " + describe(peek()));
    }
    next();
    return true;
  }

  bool parse_scope(std::string_view variable, Scope& scope) {
    if (!at_ident(variable)) {
      return error_at(peek(), "expected `" + std::string(variable) + "`, found " +
                                  describe(peek()));
    }
    next();
    const bool is_action = variable == "action";
    if (accept(Tok::Eq)) {
      EntityUid uid;
      if (!parse_scope_entity(variable, uid)) return false;
      scope.op = ScopeOp::Eq;
      scope.uids.push_back(std::move(uid));
      return true;
    }
    if (at_ident("is")) {
      if (is_action) return error_at(peek(), "`is` is not allowed in the action scope");
      next();
      std::uint32_t line = 0;
      std::uint32_t column = 0;
      if (!parse_path(scope.type, line, column)) return false;
      if (at_ident("in")) {
        next();
        EntityUid uid;
        if (!parse_scope_entity(variable, uid)) return false;
        scope.op = ScopeOp::IsIn;
        scope.uids.push_back(std::move(uid));
      } else {
        scope.op = ScopeOp::Is;
      }
      return true;
    }
    if (at_ident("in")) {
      next();
      if (is_action && at(Tok::LBracket)) {
        next();
        scope.op = ScopeOp::InSet;
        while (!at(Tok::RBracket)) {
          if (scope.uids.size() == options_.max_collection_elements) return too_many(peek());
          EntityUid uid;
          if (!parse_scope_entity(variable, uid)) return false;
          scope.uids.push_back(std::move(uid));
          if (!accept(Tok::Comma)) break;
        }
        return expect(Tok::RBracket, "`]`");
      }
      EntityUid uid;
      if (!parse_scope_entity(variable, uid)) return false;
      scope.op = ScopeOp::In;
      scope.uids.push_back(std::move(uid));
      return true;
    }
    return true;
  }

  bool parse_scope_entity(std::string_view variable, EntityUid& uid) {
    if (at(Tok::Question)) {
      return error_at(peek(), "templates (`?principal`, `?resource`) are not supported");
    }
    const Token& start = peek();
    if (!parse_entity_uid(uid)) return false;
    if (variable == "action" && uid.type != "Action" &&
        !(uid.type.size() > 8 && uid.type.compare(uid.type.size() - 8, 8, "::Action") == 0)) {
      return error_at(start, "expected an entity uid with type `Action` but got `" +
                                 uid.to_string() + "`");
    }
    return true;
  }

  // Path ::= IDENT {'::' IDENT}. Stops before `::` followed by a string.
  bool parse_path(std::string& path, std::uint32_t& line, std::uint32_t& column) {
    if (!at(Tok::Ident)) return error_at(peek(), "expected a type name, found " + describe(peek()));
    line = peek().line;
    column = peek().column;
    path.clear();
    while (true) {
      const Token& id = next();
      if (is_reserved(id.text)) {
        return error_at(id, "`" + std::string(id.text) + "` is reserved and cannot be a name");
      }
      path += id.text;
      if (at(Tok::ColonColon) && peek(1).kind == Tok::Ident) {
        next();
        path += "::";
        continue;
      }
      return true;
    }
  }

  bool parse_entity_uid(EntityUid& uid) {
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    if (!parse_path(uid.type, line, column)) return false;
    if (!at(Tok::ColonColon) || peek(1).kind != Tok::String) {
      return error_at(peek(), "expected an entity uid like `Type::\"id\"`");
    }
    next();
    const Token& s = next();
    std::string error;
    if (!unescape(s.text, uid.id, nullptr, error)) return error_at(s, error);
    return true;
  }

  // --- expressions ---------------------------------------------------------------------------
  std::unique_ptr<Expr> node(Op op, const Token& at_token) {
    auto e = std::make_unique<Expr>();
    e->op = op;
    e->line = at_token.line;
    e->column = at_token.column;
    return e;
  }

  std::unique_ptr<Expr> parse_expr() {
    DepthGuard guard(*this);
    if (!guard.ok) return nullptr;
    if (at_ident("if")) {
      auto e = node(Op::If, next());
      auto c = parse_expr();
      if (!c) return nullptr;
      if (!at_ident("then")) return fail_null(peek(), "expected `then`");
      next();
      auto t = parse_expr();
      if (!t) return nullptr;
      if (!at_ident("else")) return fail_null(peek(), "expected `else`");
      next();
      auto f = parse_expr();
      if (!f) return nullptr;
      e->kids.push_back(std::move(c));
      e->kids.push_back(std::move(t));
      e->kids.push_back(std::move(f));
      return e;
    }
    return parse_or();
  }

  std::unique_ptr<Expr> fail_null(const Token& t, std::string message) {
    error_at(t, std::move(message));
    return nullptr;
  }

  // `operand (tok operand)*`: one n-ary `op` node at its first operand, or the lone operand.
  std::unique_ptr<Expr> parse_chain(Op op, Tok tok, std::unique_ptr<Expr> (Parser::*operand)()) {
    auto first = (this->*operand)();
    if (!first || !at(tok)) return first;
    auto e = node(op, peek());
    e->line = first->line;
    e->column = first->column;
    e->kids.push_back(std::move(first));
    while (accept(tok)) {
      auto k = (this->*operand)();
      if (!k) return nullptr;
      e->kids.push_back(std::move(k));
    }
    return e;
  }

  std::unique_ptr<Expr> parse_or() { return parse_chain(Op::Or, Tok::Or, &Parser::parse_and); }

  std::unique_ptr<Expr> parse_and() {
    return parse_chain(Op::And, Tok::And, &Parser::parse_relation);
  }

  std::unique_ptr<Expr> binary(Op op, std::unique_ptr<Expr> l, std::unique_ptr<Expr> r) {
    auto e = std::make_unique<Expr>();
    e->op = op;
    e->line = l->line;
    e->column = l->column;
    e->kids.push_back(std::move(l));
    e->kids.push_back(std::move(r));
    return e;
  }

  std::unique_ptr<Expr> parse_relation() {
    auto left = parse_add();
    if (!left) return nullptr;
    Op op{};
    switch (peek().kind) {
      case Tok::Eq: op = Op::Eq; break;
      case Tok::Ne: op = Op::Ne; break;
      case Tok::Lt: op = Op::Lt; break;
      case Tok::Le: op = Op::Le; break;
      case Tok::Gt: op = Op::Gt; break;
      case Tok::Ge: op = Op::Ge; break;
      case Tok::Ident:
        if (peek().text == "in") {
          op = Op::In;
          break;
        }
        if (peek().text == "has") return parse_has(std::move(left));
        if (peek().text == "like") return parse_like(std::move(left));
        if (peek().text == "is") return parse_is(std::move(left));
        return left;
      default:
        return left;
    }
    next();
    auto right = parse_add();
    if (!right) return nullptr;
    return binary(op, std::move(left), std::move(right));
  }

  std::unique_ptr<Expr> parse_has(std::unique_ptr<Expr> left) {
    next();  // has
    if (at(Tok::String)) {
      const Token& s = next();
      auto e = node(Op::Has, s);
      e->line = left->line;
      e->column = left->column;
      std::string error;
      if (!unescape(s.text, e->name, nullptr, error)) return fail_null(s, error);
      e->kids.push_back(std::move(left));
      return e;
    }
    // `e has a.b.c` means `e has a && e.a has b && e.a.b has c`.
    std::vector<std::string> path;
    while (true) {
      if (!at(Tok::Ident)) {
        return fail_null(peek(), "expected an attribute name after `has`, found " +
                                     describe(peek()));
      }
      const Token& id = next();
      if (is_reserved(id.text)) {
        return fail_null(id, "`" + std::string(id.text) + "` is reserved; write it as a string");
      }
      path.emplace_back(id.text);
      if (!at(Tok::Dot) || peek(1).kind != Tok::Ident) break;
      next();
    }
    auto base = std::move(left);
    std::unique_ptr<Expr> result;
    std::unique_ptr<Expr> prefix = base->clone();
    for (std::size_t i = 0; i < path.size(); ++i) {
      auto has = std::make_unique<Expr>();
      has->op = Op::Has;
      has->line = base->line;
      has->column = base->column;
      has->name = path[i];
      has->kids.push_back(prefix->clone());
      if (!result) {
        result = std::move(has);
      } else if (result->op == Op::And && i > 1) {
        result->kids.push_back(std::move(has));
      } else {
        result = binary(Op::And, std::move(result), std::move(has));
      }
      auto get = std::make_unique<Expr>();
      get->op = Op::GetAttr;
      get->line = base->line;
      get->column = base->column;
      get->name = path[i];
      get->kids.push_back(std::move(prefix));
      prefix = std::move(get);
    }
    return result;
  }

  std::unique_ptr<Expr> parse_like(std::unique_ptr<Expr> left) {
    next();  // like
    if (!at(Tok::String)) {
      return fail_null(peek(), "expected a string pattern after `like`, found " +
                                   describe(peek()));
    }
    const Token& s = next();
    if (s.text.size() > options_.max_like_pattern_bytes) {
      return fail_null(s, "`like` pattern is longer than the limit of " +
                              std::to_string(options_.max_like_pattern_bytes) + " bytes");
    }
    auto e = node(Op::Like, s);
    e->line = left->line;
    e->column = left->column;
    std::string last;
    std::string error;
    if (!unescape(s.text, last, &e->pattern.pieces, error)) return fail_null(s, error);
    e->pattern.pieces.push_back(std::move(last));
    e->kids.push_back(std::move(left));
    return e;
  }

  std::unique_ptr<Expr> parse_is(std::unique_ptr<Expr> left) {
    next();  // is
    auto e = node(Op::Is, peek());
    e->line = left->line;
    e->column = left->column;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    if (!parse_path(e->name, line, column)) return nullptr;
    e->kids.push_back(std::move(left));
    if (at_ident("in")) {
      next();
      auto right = parse_add();
      if (!right) return nullptr;
      e->op = Op::IsIn;
      e->kids.push_back(std::move(right));
    }
    return e;
  }

  std::unique_ptr<Expr> parse_add() {
    auto first = parse_mult();
    if (!first || !(at(Tok::Plus) || at(Tok::Minus))) return first;
    auto e = node(Op::Arith, peek());
    e->line = first->line;
    e->column = first->column;
    e->kids.push_back(std::move(first));
    while (at(Tok::Plus) || at(Tok::Minus)) {
      e->arith_ops.push_back(next().kind == Tok::Plus ? '+' : '-');
      auto k = parse_mult();
      if (!k) return nullptr;
      e->kids.push_back(std::move(k));
    }
    return e;
  }

  std::unique_ptr<Expr> parse_mult() {
    auto first = parse_unary();
    if (!first || !at(Tok::Star)) return first;
    auto e = node(Op::Arith, peek());
    e->line = first->line;
    e->column = first->column;
    e->kids.push_back(std::move(first));
    while (accept(Tok::Star)) {
      e->arith_ops.push_back('*');
      auto k = parse_unary();
      if (!k) return nullptr;
      e->kids.push_back(std::move(k));
    }
    return e;
  }

  std::unique_ptr<Expr> parse_unary() {
    DepthGuard guard(*this);
    if (!guard.ok) return nullptr;
    if (!at(Tok::Bang) && !at(Tok::Minus)) return parse_member();
    const Token& first = peek();
    const Tok op = first.kind;
    int count = 0;
    while (at(op)) {
      next();
      ++count;
    }
    if (count > 4) return fail_null(first, std::string("too many occurrences of ") + token_name(op));
    if (at(Tok::Bang) || at(Tok::Minus)) {
      return fail_null(peek(), "unexpected " + describe(peek()) +
                                   " (mixing `!` and `-` needs parentheses)");
    }
    std::unique_ptr<Expr> inner;
    if (op == Tok::Minus && at(Tok::Int) && peek(1).kind != Tok::Dot &&
        peek(1).kind != Tok::LBracket) {
      // A negative literal: fold one `-` so -9223372036854775808 is representable.
      const Token& t = next();
      std::uint64_t magnitude = 0;
      const auto [ptr, ec] =
          std::from_chars(t.text.data(), t.text.data() + t.text.size(), magnitude);
      if (ec != std::errc() || ptr != t.text.data() + t.text.size() ||
          magnitude > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1) {
        return fail_null(t, "integer literal `-" + std::string(t.text) + "` is out of range");
      }
      inner = node(Op::Literal, first);
      const std::int64_t value =
          magnitude == static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1
              ? std::numeric_limits<std::int64_t>::min()
              : -static_cast<std::int64_t>(magnitude);
      inner->literal = Value::integer(value);
      --count;
    } else {
      inner = parse_member();
      if (!inner) return nullptr;
    }
    for (int i = 0; i < count; ++i) {
      auto e = node(op == Tok::Bang ? Op::Not : Op::Neg, first);
      e->kids.push_back(std::move(inner));
      inner = std::move(e);
    }
    return inner;
  }

  std::unique_ptr<Expr> parse_member() {
    auto e = parse_primary();
    if (!e) return nullptr;
    int extra_depth = 0;
    struct Restore {
      Parser& p;
      int& extra;
      ~Restore() { p.depth_ -= extra; }
    } restore{*this, extra_depth};
    while (at(Tok::Dot) || at(Tok::LBracket)) {
      ++depth_;
      ++extra_depth;
      if (depth_ > options_.max_depth) {
        return fail_null(peek(), "expression nested too deeply (limit " +
                                     std::to_string(options_.max_depth) + ")");
      }
      if (accept(Tok::LBracket)) {
        if (!at(Tok::String)) {
          return fail_null(peek(), "expected a string literal in `[...]`, found " +
                                       describe(peek()));
        }
        const Token& s = next();
        auto g = node(Op::GetAttr, s);
        g->line = e->line;
        g->column = e->column;
        std::string error;
        if (!unescape(s.text, g->name, nullptr, error)) return fail_null(s, error);
        if (!expect(Tok::RBracket, "`]`")) return nullptr;
        g->kids.push_back(std::move(e));
        e = std::move(g);
        continue;
      }
      next();  // .
      if (!at(Tok::Ident)) {
        return fail_null(peek(), "expected an attribute or method name after `.`, found " +
                                     describe(peek()));
      }
      const Token& name = next();
      if (!at(Tok::LParen)) {
        if (is_reserved(name.text)) {
          return fail_null(name, "`" + std::string(name.text) +
                                     "` is reserved; write the attribute as [\"" +
                                     std::string(name.text) + "\"]");
        }
        auto g = node(Op::GetAttr, name);
        g->line = e->line;
        g->column = e->column;
        g->name = std::string(name.text);
        g->kids.push_back(std::move(e));
        e = std::move(g);
        continue;
      }
      next();  // (
      std::vector<std::unique_ptr<Expr>> args;
      if (!parse_list(Tok::RParen, args)) return nullptr;
      e = method_call(name, std::move(e), std::move(args));
      if (!e) return nullptr;
    }
    return e;
  }

  bool parse_list(Tok close, std::vector<std::unique_ptr<Expr>>& items) {
    while (!at(close)) {
      if (items.size() == options_.max_collection_elements) {
        return too_many(peek());
      }
      auto item = parse_expr();
      if (!item) return false;
      items.push_back(std::move(item));
      if (!accept(Tok::Comma)) break;
    }
    return expect(close, close == Tok::RParen ? "`)`" : "`]`");
  }

  std::unique_ptr<Expr> method_call(const Token& name, std::unique_ptr<Expr> receiver,
                                    std::vector<std::unique_ptr<Expr>> args) {
    struct Builtin {
      std::string_view name;
      Op op;
      std::size_t args;
    };
    static constexpr Builtin kBuiltins[] = {
        {"contains", Op::Contains, 1}, {"containsAll", Op::ContainsAll, 1},
        {"containsAny", Op::ContainsAny, 1}, {"isEmpty", Op::IsEmpty, 0},
        {"hasTag", Op::HasTag, 1}, {"getTag", Op::GetTag, 1}};
    auto e = node(Op::ExtCall, name);
    e->line = receiver->line;
    e->column = receiver->column;
    for (const auto& b : kBuiltins) {
      if (b.name != name.text) continue;
      if (args.size() != b.args) {
        return fail_null(name, "call to `" + std::string(b.name) + "` requires exactly " +
                                   std::to_string(b.args) + " argument(s), but got " +
                                   std::to_string(args.size()));
      }
      e->op = b.op;
      e->kids.push_back(std::move(receiver));
      for (auto& a : args) e->kids.push_back(std::move(a));
      return e;
    }
    const ExtInfo* info = find_ext(name.text);
    if (info == nullptr) {
      return fail_null(name, "`" + std::string(name.text) + "` is not a valid method");
    }
    if (!info->method) {
      return fail_null(name, "`" + std::string(name.text) +
                                 "` is a function, not a method: call it as " +
                                 std::string(name.text) + "(...)");
    }
    if (args.size() + 1 != info->arity) {
      return fail_null(name, "call to `" + std::string(name.text) + "` requires exactly " +
                                 std::to_string(info->arity - 1) + " argument(s), but got " +
                                 std::to_string(args.size()));
    }
    e->fn = info->fn;
    e->kids.push_back(std::move(receiver));
    for (auto& a : args) e->kids.push_back(std::move(a));
    return e;
  }

  std::unique_ptr<Expr> parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::Int: {
        next();
        std::int64_t value = 0;
        const auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), value);
        if (ec != std::errc() || ptr != t.text.data() + t.text.size()) {
          return fail_null(t, "integer literal `" + std::string(t.text) + "` is out of range");
        }
        auto e = node(Op::Literal, t);
        e->literal = Value::integer(value);
        return e;
      }
      case Tok::String: {
        next();
        auto e = node(Op::Literal, t);
        std::string s;
        std::string error;
        if (!unescape(t.text, s, nullptr, error)) return fail_null(t, error);
        e->literal = Value::string(std::move(s));
        return e;
      }
      case Tok::LParen: {
        next();
        auto e = parse_expr();
        if (!e) return nullptr;
        if (!expect(Tok::RParen, "`)`")) return nullptr;
        return e;
      }
      case Tok::LBracket: {
        next();
        auto e = node(Op::SetLit, t);
        if (!parse_list(Tok::RBracket, e->kids)) return nullptr;
        return fold_constant(std::move(e));
      }
      case Tok::LBrace:
        return parse_record();
      case Tok::Question:
        return fail_null(t, "templates (`?principal`, `?resource`) are not supported");
      case Tok::Ident:
        return parse_name();
      default:
        return fail_null(t, "expected an expression, found " + describe(t));
    }
  }

  bool too_many(const Token& t) {
    return error_at(t, "more than " + std::to_string(options_.max_collection_elements) +
                           " elements in one set, record or argument list");
  }

  std::unique_ptr<Expr> parse_record() {
    auto e = node(Op::RecordLit, next());
    std::set<std::string> seen_keys;
    while (!at(Tok::RBrace)) {
      const Token& k = peek();
      if (e->keys.size() == options_.max_collection_elements) {
        too_many(k);
        return nullptr;
      }
      std::string key;
      if (k.kind == Tok::String) {
        std::string error;
        if (!unescape(k.text, key, nullptr, error)) return fail_null(k, error);
      } else if (k.kind == Tok::Ident) {
        if (is_reserved(k.text)) {
          return fail_null(k, "`" + std::string(k.text) + "` is reserved; write the key as a string");
        }
        key = std::string(k.text);
      } else {
        return fail_null(k, "expected a record key, found " + describe(k));
      }
      next();
      if (!seen_keys.insert(key).second) {
        return fail_null(k, "duplicate key `" + key + "` in record literal");
      }
      if (!expect(Tok::Colon, "`:`")) return nullptr;
      auto v = parse_expr();
      if (!v) return nullptr;
      e->keys.push_back(std::move(key));
      e->kids.push_back(std::move(v));
      if (!accept(Tok::Comma)) break;
    }
    if (!expect(Tok::RBrace, "`}`")) return nullptr;
    return fold_constant(std::move(e));
  }

  // Set and record literals whose members are all literals become one pre-built Value.
  static std::unique_ptr<Expr> fold_constant(std::unique_ptr<Expr> e) {
    for (const auto& k : e->kids) {
      if (k->op != Op::Literal) return e;
    }
    if (e->op == Op::SetLit) {
      std::vector<Value> elements;
      elements.reserve(e->kids.size());
      for (const auto& k : e->kids) elements.push_back(k->literal);
      e->literal = Value::set(std::move(elements));
    } else {
      std::vector<std::pair<std::string, Value>> fields;
      for (std::size_t i = 0; i < e->kids.size(); ++i) {
        fields.emplace_back(e->keys[i], e->kids[i]->literal);
      }
      e->literal = Value::record(std::move(fields));
    }
    e->op = Op::Literal;
    e->kids.clear();
    e->keys.clear();
    return e;
  }

  std::unique_ptr<Expr> parse_name() {
    const Token& t = peek();
    // Single-word forms first.
    const bool path_follows = peek(1).kind == Tok::ColonColon;
    if (!path_follows && peek(1).kind != Tok::LParen) {
      next();
      if (t.text == "true" || t.text == "false") {
        auto e = node(Op::Literal, t);
        e->literal = Value::boolean(t.text == "true");
        return e;
      }
      static constexpr std::pair<std::string_view, Var> kVars[] = {
          {"principal", Var::Principal}, {"action", Var::Action},
          {"resource", Var::Resource}, {"context", Var::Context}};
      for (const auto& [word, var] : kVars) {
        if (t.text == word) {
          auto e = node(Op::Variable, t);
          e->var = var;
          return e;
        }
      }
      return fail_null(t, "unknown variable `" + std::string(t.text) + "`");
    }
    std::string path;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    if (!parse_path(path, line, column)) return nullptr;
    if (at(Tok::ColonColon) && peek(1).kind == Tok::String) {
      next();
      const Token& s = next();
      auto e = node(Op::Literal, t);
      EntityUid uid{std::move(path), {}};
      std::string error;
      if (!unescape(s.text, uid.id, nullptr, error)) return fail_null(s, error);
      e->literal = Value::entity(std::move(uid));
      return e;
    }
    if (at(Tok::LParen)) {
      next();
      std::vector<std::unique_ptr<Expr>> args;
      if (!parse_list(Tok::RParen, args)) return nullptr;
      const ExtInfo* info = find_ext(path);
      if (info == nullptr) return fail_null(t, "`" + path + "` is not a valid function");
      if (info->method) {
        return fail_null(t, "`" + path + "` is a method, not a function: call it as x." + path +
                                "(...)");
      }
      if (args.size() != info->arity) {
        return fail_null(t, "call to `" + path + "` requires exactly " +
                                std::to_string(info->arity) + " argument(s), but got " +
                                std::to_string(args.size()));
      }
      auto e = node(Op::ExtCall, t);
      e->fn = info->fn;
      e->kids = std::move(args);
      return e;
    }
    return fail_null(peek(), "expected `::\"id\"` or `(` after `" + path + "`");
  }

  const ParseOptions& options_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  bool failed_ = false;
  std::uint32_t error_line_ = 0;
  std::uint32_t error_column_ = 0;
  std::string error_;
};

// Byte offset of the first invalid UTF-8 sequence, or npos.
std::size_t invalid_utf8_at(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

bool check_utf8(std::string_view text, const std::string& file, Diagnostics* diagnostics,
                std::string* error) {
  const std::size_t bad = invalid_utf8_at(text);
  if (bad == std::string_view::npos) return true;
  std::uint32_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < bad; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  const auto column = static_cast<std::uint32_t>(bad - line_start + 1);
  if (diagnostics != nullptr) {
    diagnostics->push_back(Diagnostic{file, line, column, "invalid UTF-8"});
  }
  if (error != nullptr) {
    *error = std::to_string(line) + ":" + std::to_string(column) + ": invalid UTF-8";
  }
  return false;
}

}  // namespace

bool unescape_cedar_string(std::string_view raw, std::string& out, std::string& error) {
  return unescape(raw, out, nullptr, error);
}

void parse_policies(std::string_view text, const ParseOptions& options, std::vector<Policy>& out,
                    Diagnostics& diagnostics) {
  if (!check_utf8(text, options.file, &diagnostics, nullptr)) return;
  Parser parser(text, options);
  parser.policies(out, diagnostics);
}

Result<std::unique_ptr<Expr>> parse_expression(std::string_view text,
                                               const ParseOptions& options) {
  std::string error;
  if (!check_utf8(text, options.file, nullptr, &error)) return fail(error);
  Parser parser(text, options);
  return parser.expression();
}

}  // namespace portcullis::policy
