#include "policy/lexer.hpp"

namespace portcullis::policy {
namespace {

bool ident_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

}  // namespace

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> out;
  out.reserve(text.size() / 3 + 1);
  std::size_t i = 0;
  std::uint32_t line = 1;
  std::size_t line_start = 0;
  const auto col = [&](std::size_t pos) { return static_cast<std::uint32_t>(pos - line_start + 1); };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      ++i;
      ++line;
      line_start = i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    Token t;
    t.line = line;
    t.column = col(i);
    const std::size_t start = i;
    if (ident_start(c)) {
      while (i < text.size() && ident_char(text[i])) ++i;
      t.kind = Tok::Ident;
      t.text = text.substr(start, i - start);
    } else if (c >= '0' && c <= '9') {
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
      t.kind = Tok::Int;
      t.text = text.substr(start, i - start);
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          i += 2;
          continue;
        }
        if (text[i] == '"') {
          closed = true;
          break;
        }
        if (text[i] == '\n') {
          ++line;
          line_start = i + 1;
        }
        ++i;
      }
      if (!closed) {
        t.kind = Tok::Error;
        t.message = "unterminated string literal";
        out.push_back(std::move(t));
        break;
      }
      t.kind = Tok::String;
      t.text = text.substr(start + 1, i - start - 1);
      ++i;
    } else {
      const char n = i + 1 < text.size() ? text[i + 1] : '\0';
      auto two = [&](Tok kind) {
        t.kind = kind;
        i += 2;
      };
      auto one = [&](Tok kind) {
        t.kind = kind;
        i += 1;
      };
      // `==`, `&&`, `||`: Cedar has no lone `=`, `&` or `|`, so one is an error naming the pair.
      auto doubled = [&](Tok kind, const char* lone_message) {
        if (n == c) {
          two(kind);
        } else {
          t.kind = Tok::Error;
          t.message = lone_message;
          ++i;
        }
      };
      switch (c) {
        case '@': one(Tok::At); break;
        case '(': one(Tok::LParen); break;
        case ')': one(Tok::RParen); break;
        case '[': one(Tok::LBracket); break;
        case ']': one(Tok::RBracket); break;
        case '{': one(Tok::LBrace); break;
        case '}': one(Tok::RBrace); break;
        case ',': one(Tok::Comma); break;
        case ';': one(Tok::Semicolon); break;
        case '.': one(Tok::Dot); break;
        case '+': one(Tok::Plus); break;
        case '-': one(Tok::Minus); break;
        case '*': one(Tok::Star); break;
        case '?': one(Tok::Question); break;
        case ':': n == ':' ? two(Tok::ColonColon) : one(Tok::Colon); break;
        case '=': doubled(Tok::Eq, "unexpected `=` (did you mean `==`?)"); break;
        case '!': n == '=' ? two(Tok::Ne) : one(Tok::Bang); break;
        case '<': n == '=' ? two(Tok::Le) : one(Tok::Lt); break;
        case '>': n == '=' ? two(Tok::Ge) : one(Tok::Gt); break;
        case '&': doubled(Tok::And, "unexpected `&` (did you mean `&&`?)"); break;
        case '|': doubled(Tok::Or, "unexpected `|` (did you mean `||`?)"); break;
        default: {
          t.kind = Tok::Error;
          const auto byte = static_cast<unsigned char>(c);
          if (byte >= 0x20 && byte < 0x7f) {
            t.message = std::string("unexpected character `") + c + "`";
          } else {
            t.message = "unexpected byte 0x" + std::string(1, "0123456789abcdef"[byte >> 4]) +
                        std::string(1, "0123456789abcdef"[byte & 15]);
          }
          // Skip the rest of a UTF-8 sequence so one character gives one error.
          ++i;
          while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
        }
      }
      t.text = text.substr(start, i - start);
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.kind = Tok::End;
  end.line = line;
  end.column = col(i);
  out.push_back(std::move(end));
  return out;
}

const char* token_name(Tok kind) {
  switch (kind) {
    case Tok::End: return "end of input";
    case Tok::Error: return "invalid token";
    case Tok::Ident: return "identifier";
    case Tok::Int: return "integer";
    case Tok::String: return "string";
    case Tok::At: return "`@`";
    case Tok::LParen: return "`(`";
    case Tok::RParen: return "`)`";
    case Tok::LBracket: return "`[`";
    case Tok::RBracket: return "`]`";
    case Tok::LBrace: return "`{`";
    case Tok::RBrace: return "`}`";
    case Tok::Comma: return "`,`";
    case Tok::Semicolon: return "`;`";
    case Tok::Dot: return "`.`";
    case Tok::Colon: return "`:`";
    case Tok::ColonColon: return "`::`";
    case Tok::Eq: return "`==`";
    case Tok::Ne: return "`!=`";
    case Tok::Lt: return "`<`";
    case Tok::Le: return "`<=`";
    case Tok::Gt: return "`>`";
    case Tok::Ge: return "`>=`";
    case Tok::And: return "`&&`";
    case Tok::Or: return "`||`";
    case Tok::Bang: return "`!`";
    case Tok::Minus: return "`-`";
    case Tok::Plus: return "`+`";
    case Tok::Star: return "`*`";
    case Tok::Question: return "`?`";
  }
  return "token";
}

}  // namespace portcullis::policy
