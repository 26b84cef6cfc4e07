#include "policy/ast.hpp"

namespace portcullis::policy {

std::unique_ptr<Expr> Expr::clone() const {
  auto copy = std::make_unique<Expr>();
  copy->op = op;
  copy->var = var;
  copy->fn = fn;
  copy->line = line;
  copy->column = column;
  copy->kids.reserve(kids.size());
  for (const auto& k : kids) copy->kids.push_back(k->clone());
  copy->arith_ops = arith_ops;
  copy->name = name;
  copy->keys = keys;
  copy->pattern = pattern;
  copy->literal = literal;
  return copy;
}

bool LikePattern::matches(std::string_view text) const {
  // pieces[0] * pieces[1] * ... * pieces[n-1]. Byte-wise matching is exact for valid UTF-8:
  // a piece can only match at a character boundary. Greedy leftmost matching of the middle
  // pieces is correct for `*`-only globs and runs in linear passes (no backtracking blow-up).
  if (pieces.size() == 1) return text == pieces[0];
  const std::string& first = pieces.front();
  const std::string& last = pieces.back();
  if (text.size() < first.size() + last.size()) return false;
  if (text.substr(0, first.size()) != first) return false;
  if (text.substr(text.size() - last.size()) != last) return false;
  std::size_t pos = first.size();
  const std::size_t end = text.size() - last.size();
  for (std::size_t i = 1; i + 1 < pieces.size(); ++i) {
    const std::string& piece = pieces[i];
    if (piece.empty()) continue;
    const std::string_view window = text.substr(pos, end - pos);
    const auto found = window.find(piece);
    if (found == std::string_view::npos) return false;
    pos += found + piece.size();
  }
  return true;
}

}  // namespace portcullis::policy
