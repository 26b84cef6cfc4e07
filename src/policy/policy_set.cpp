// PolicySet: parse every source, assign ids, validate, index by scope, hash the sources.
#include "portcullis/policy/policy_set.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

#include "policy/parser.hpp"
#include "policy/policy_set_impl.hpp"

namespace portcullis::policy {
namespace {

std::string sha256_hex(const std::vector<PolicySource>& sources) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return {};
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const auto& s : sources) {
    // Length-prefixed so (file, text) boundaries are unambiguous; the file's name only, so the
    // version does not depend on where the directory is mounted.
    const std::string name = std::filesystem::path(s.file).filename().string();
    const std::string header = std::to_string(name.size()) + ":" + name + ":" +
                               std::to_string(s.text.size()) + ":";
    EVP_DigestUpdate(ctx, header.data(), header.size());
    EVP_DigestUpdate(ctx, s.text.data(), s.text.size());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string location(const Policy& p) {
  return (p.file.empty() ? std::string("<input>") : p.file) + ":" + std::to_string(p.line) + ":" +
         std::to_string(p.column);
}

}  // namespace

namespace {

enum class Dim { ResourceEq, PrincipalEq, Action, ResourceIn, PrincipalIn, ResourceIs, PrincipalIs };

// The index dimensions a policy's scope allows, with their keys.
struct Option {
  Dim dim;
  const std::vector<EntityUid>* uids = nullptr;  // uid dimensions
  const std::string* type = nullptr;             // type dimensions
};

std::vector<Option> options_of(const Policy& p) {
  std::vector<Option> out;
  if (p.resource.op == ScopeOp::Eq) out.push_back({Dim::ResourceEq, &p.resource.uids});
  if (p.principal.op == ScopeOp::Eq) out.push_back({Dim::PrincipalEq, &p.principal.uids});
  if (p.action.op == ScopeOp::Eq || p.action.op == ScopeOp::In || p.action.op == ScopeOp::InSet) {
    out.push_back({Dim::Action, &p.action.uids});
  }
  if (p.resource.op == ScopeOp::In || p.resource.op == ScopeOp::IsIn) {
    out.push_back({Dim::ResourceIn, &p.resource.uids});
  }
  if (p.principal.op == ScopeOp::In || p.principal.op == ScopeOp::IsIn) {
    out.push_back({Dim::PrincipalIn, &p.principal.uids});
  }
  if (p.resource.op == ScopeOp::Is || p.resource.op == ScopeOp::IsIn) {
    out.push_back({Dim::ResourceIs, nullptr, &p.resource.type});
  }
  if (p.principal.op == ScopeOp::Is || p.principal.op == ScopeOp::IsIn) {
    out.push_back({Dim::PrincipalIs, nullptr, &p.principal.type});
  }
  return out;
}

}  // namespace

void PolicyIndex::build(const std::vector<Policy>& policies) {
  // Pass 1: bucket sizes if every policy were filed under every dimension it allows.
  std::unordered_map<EntityUid, std::size_t, EntityUidHash> uid_counts[5];
  std::unordered_map<std::string, std::size_t> type_counts[2];
  std::vector<std::vector<Option>> options(policies.size());
  for (std::size_t i = 0; i < policies.size(); ++i) {
    options[i] = options_of(policies[i]);
    for (const auto& o : options[i]) {
      const auto d = static_cast<std::size_t>(o.dim);
      if (o.uids != nullptr) {
        for (const auto& u : *o.uids) ++uid_counts[d][u];
      } else {
        ++type_counts[d - 5][*o.type];
      }
    }
  }
  // Pass 2: file each policy under the dimension whose (largest) bucket is smallest; ties go
  // to the earlier, more specific dimension.
  UidMap* uid_maps[5] = {&resource_eq, &principal_eq, &action_keys, &resource_in, &principal_in};
  std::unordered_map<std::string, std::vector<std::uint32_t>>* type_maps[2] = {&resource_is,
                                                                                &principal_is};
  for (std::size_t i = 0; i < policies.size(); ++i) {
    const auto position = static_cast<std::uint32_t>(i);
    const Option* best = nullptr;
    std::size_t best_size = 0;
    for (const auto& o : options[i]) {
      const auto d = static_cast<std::size_t>(o.dim);
      std::size_t size = 0;
      if (o.uids != nullptr) {
        for (const auto& u : *o.uids) size = std::max(size, uid_counts[d][u]);
        if (o.uids->empty()) size = 0;  // `action in []` never matches: any bucket will do
      } else {
        size = type_counts[d - 5][*o.type];
      }
      if (best == nullptr || size < best_size) {
        best = &o;
        best_size = size;
      }
    }
    if (best == nullptr) {
      always.push_back(position);
      continue;
    }
    const auto d = static_cast<std::size_t>(best->dim);
    if (best->uids != nullptr) {
      for (const auto& u : *best->uids) (*uid_maps[d])[u].push_back(position);
    } else {
      (*type_maps[d - 5])[*best->type].push_back(position);
    }
  }
}

PolicySet::PolicySet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PolicySet::~PolicySet() = default;

std::shared_ptr<const PolicySet> PolicySet::parse(const std::vector<PolicySource>& sources,
                                                  Diagnostics& diagnostics,
                                                  const Limits& limits) {
  const std::size_t before = diagnostics.size();
  auto impl = std::make_unique<Impl>();
  for (const auto& source : sources) {
    if (source.text.size() > limits.max_file_bytes) {
      diagnostics.push_back(Diagnostic{source.file, 0, 0,
                                       "file is larger than the limit of " +
                                           std::to_string(limits.max_file_bytes) + " bytes"});
      continue;
    }
    ParseOptions options;
    options.file = source.file;
    options.max_depth = limits.max_nesting_depth;
    options.max_like_pattern_bytes = limits.max_like_pattern_bytes;
    options.max_collection_elements = limits.max_collection_elements;
    parse_policies(source.text, options, impl->policies, diagnostics);
  }
  if (impl->policies.size() > limits.max_policies) {
    diagnostics.push_back(Diagnostic{"", 0, 0,
                                     "the policy set has " +
                                         std::to_string(impl->policies.size()) +
                                         " policies, more than the limit of " +
                                         std::to_string(limits.max_policies)});
  }
  // Ids: @id("...") or policy<N>, N the position across all files. Any duplicate is an error.
  impl->log_only.resize(impl->policies.size(), false);
  for (std::size_t i = 0; i < impl->policies.size(); ++i) {
    Policy& p = impl->policies[i];
    const Annotation* id = p.annotation("id");
    std::uint32_t line = p.line;
    std::uint32_t column = p.column;
    if (id != nullptr) {
      line = id->line;
      column = id->column;
      if (id->value.empty()) {
        diagnostics.push_back(Diagnostic{p.file, line, column, "@id needs a non-empty value"});
      }
      p.id = id->value;
    } else {
      p.id = "policy" + std::to_string(i);
    }
    const auto [it, inserted] = impl->by_id.emplace(p.id, static_cast<std::uint32_t>(i));
    if (!inserted) {
      diagnostics.push_back(Diagnostic{
          p.file, line, column,
          "duplicate policy id \"" + p.id + "\" (also used by the policy at " +
              location(impl->policies[it->second]) + ")"});
    }
    const Annotation* mode = p.annotation("mode");
    if (mode != nullptr) {
      if (mode->value != "log-only" && mode->value != "enforce") {
        diagnostics.push_back(Diagnostic{p.file, mode->line, mode->column,
                                         "@mode must be \"log-only\" or \"enforce\", not \"" +
                                             mode->value + "\""});
      } else if (mode->value == "log-only" && p.effect != Effect::Forbid) {
        diagnostics.push_back(Diagnostic{p.file, mode->line, mode->column,
                                         "@mode(\"log-only\") applies only to forbid policies"});
      }
      impl->log_only[i] = mode->value == "log-only" && p.effect == Effect::Forbid;
    }
  }
  if (diagnostics.size() != before) return nullptr;
  impl->index.build(impl->policies);
  impl->hash = sha256_hex(sources);
  return std::make_shared<const PolicySet>(std::move(impl));
}

std::shared_ptr<const PolicySet> PolicySet::load(const std::filesystem::path& path,
                                                 Diagnostics& diagnostics,
                                                 const Limits& limits) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      if (entry.path().extension() == ".cedar" && entry.is_regular_file(ec)) {
        files.push_back(entry.path());
      }
    }
    if (ec) {
      diagnostics.push_back(Diagnostic{path.string(), 0, 0, "cannot list: " + ec.message()});
      return nullptr;
    }
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return a.string() < b.string(); });
  } else if (std::filesystem::exists(path, ec)) {
    files.push_back(path);
  } else {
    diagnostics.push_back(Diagnostic{path.string(), 0, 0, "no such file or directory"});
    return nullptr;
  }
  std::vector<PolicySource> sources;
  bool ok = true;
  for (const auto& f : files) {
    const auto size = std::filesystem::file_size(f, ec);
    if (!ec && size > limits.max_file_bytes) {
      diagnostics.push_back(Diagnostic{f.string(), 0, 0,
                                       "file is larger than the limit of " +
                                           std::to_string(limits.max_file_bytes) + " bytes"});
      ok = false;
      continue;
    }
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      diagnostics.push_back(Diagnostic{f.string(), 0, 0, "cannot read the file"});
      ok = false;
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    sources.push_back(PolicySource{f.string(), text.str()});
  }
  if (!ok) return nullptr;
  return parse(sources, diagnostics, limits);
}

std::size_t PolicySet::size() const { return impl_->policies.size(); }

const std::string& PolicySet::hash() const { return impl_->hash; }

std::optional<std::string> PolicySet::annotation(std::string_view policy_id,
                                                 std::string_view key) const {
  const auto it = impl_->by_id.find(std::string(policy_id));
  if (it == impl_->by_id.end()) return std::nullopt;
  const Annotation* a = impl_->policies[it->second].annotation(key);
  if (a == nullptr) return std::nullopt;
  return a->value;
}

std::vector<std::string> PolicySet::ids() const {
  std::vector<std::string> out;
  out.reserve(impl_->policies.size());
  for (const auto& p : impl_->policies) out.push_back(p.id);
  return out;
}

}  // namespace portcullis::policy
