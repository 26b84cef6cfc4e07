// Cedar lexer: policy text → tokens with 1-based line:column. Strings are kept raw (escapes
// are decoded by the parser, which knows whether the string is a `like` pattern).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::policy {

enum class Tok : std::uint8_t {
  End,
  Error,       // text = message
  Ident,
  Int,         // text = digits
  String,      // text = raw contents between the quotes
  At,          // @
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Semicolon,
  Dot,
  Colon,
  ColonColon,
  Eq,          // ==
  Ne,          // !=
  Lt,
  Le,
  Gt,
  Ge,
  And,         // &&
  Or,          // ||
  Bang,
  Minus,
  Plus,
  Star,
  Question,
};

struct Token {
  Tok kind = Tok::End;
  std::string_view text;
  std::string message;  // Tok::Error only
  std::uint32_t line = 1;
  std::uint32_t column = 1;
};

// Tokenizes all of `text` (the views point into it). Always ends with Tok::End.
std::vector<Token> tokenize(std::string_view text);

const char* token_name(Tok kind);

}  // namespace portcullis::policy
