// A strict JSON parser into a flat, reusable node array ("tape"), and an RFC 8785 (JCS) writer
// over it. Built for the verifier's hot loop: after the first few records, parsing and
// canonicalising a record allocates nothing (the tape, the string arena and the sort scratch
// keep their capacity). Private to the audit module.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::audit::detail {

enum class NodeType : std::uint8_t { Null, True, False, Number, String, Array, Object };

struct Node {
  NodeType type = NodeType::Null;
  bool in_arena = false;   // String: decoded bytes live in the arena (the literal had escapes)
  std::uint32_t count = 0; // Object: members; Array: elements
  std::uint32_t end = 0;   // index one past this node's subtree
  // String: its decoded bytes (in the arena, or in the input text between the quotes); every
  // other type: its text in the input (containers from bracket to bracket).
  std::uint32_t off = 0;
  std::uint32_t len = 0;
};

class JsonTape {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  static constexpr int kMaxDepth = 256;

  // Parses one JSON text (RFC 8259; surrounding whitespace allowed, nothing else after it).
  // Rejects invalid UTF-8, lone surrogates, control characters in strings and excessive
  // nesting. The input must outlive the tape's use.
  bool parse(std::string_view text);
  [[nodiscard]] const std::string& error() const { return error_; }

  [[nodiscard]] const Node& node(std::uint32_t i) const { return nodes_[i]; }
  [[nodiscard]] std::uint32_t size() const { return static_cast<std::uint32_t>(nodes_.size()); }

  // The value of member `key` of object node `obj`, or kNone (also when obj is kNone or not
  // an object).
  [[nodiscard]] std::uint32_t member(std::uint32_t obj, std::string_view key) const;
  // Element `i` of array node `arr`, or kNone.
  [[nodiscard]] std::uint32_t element(std::uint32_t arr, std::uint32_t i) const;
  // Decoded string of a String node ("" for kNone or other types).
  [[nodiscard]] std::string_view string(std::uint32_t i) const {
    if (i == kNone || nodes_[i].type != NodeType::String) {
      return {};
    }
    const Node& n = nodes_[i];
    return n.in_arena ? std::string_view(arena_).substr(n.off, n.len) : text_.substr(n.off, n.len);
  }
  [[nodiscard]] bool is_string(std::uint32_t i) const {
    return i != kNone && nodes_[i].type == NodeType::String;
  }
  // A non-negative integer literal that fits in 64 bits.
  [[nodiscard]] bool unsigned_integer(std::uint32_t i, std::uint64_t& out) const;
  [[nodiscard]] bool signed_integer(std::uint32_t i, std::int64_t& out) const;

  // Writes the JCS form of the whole document, leaving out the object member whose value is
  // node `skip` (kNone: none). Fails on duplicate member names (JCS has no form for them).
  bool write_canonical(std::string& out, std::uint32_t skip = kNone);

  // True when the parsed text is already its own JCS form (no white space, members in strictly
  // increasing order, minimal string escapes, integers as ECMAScript writes them). Checked
  // while parsing, conservatively: false means "not known to be canonical", never "wrong".
  [[nodiscard]] bool is_canonical() const { return canonical_; }
  // For canonical text: the JCS form of the document without the member whose value is node
  // `skip`, as the input text before and after that member (no copy). False when the text is
  // not canonical or the member cannot be located in it (then use write_canonical).
  bool canonical_without(std::uint32_t skip, std::string_view& head, std::string_view& tail) const;

 private:
  bool parse_value(int depth);
  bool parse_container(int depth, NodeType type);
  bool parse_member_name();
  bool parse_string();
  bool parse_number();
  bool parse_literal(std::string_view word, NodeType type);
  void skip_ws();
  bool fail(const char* message);
  bool write_node(std::string& out, std::uint32_t i, std::uint32_t skip);
  bool write_number(std::string& out, const Node& n);

  std::string_view text_;
  std::size_t pos_ = 0;
  std::vector<Node> nodes_;
  std::string arena_;
  std::vector<std::uint32_t> scratch_;  // member key indices being sorted, as a stack
  std::string error_;
  bool canonical_ = true;
  bool last_string_non_ascii_ = false;  // the string parse_string just read has a byte >= 0x80
};

}  // namespace portcullis::audit::detail
