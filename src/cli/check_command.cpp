// `portcullis check`: decide Cedar JSON requests offline (--request FILE|- or --batch FILE|-).
#include "cli/check_command.hpp"

#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "cli/policy_source.hpp"
#include "cli/read_input.hpp"
#include "policy/json_text.hpp"
#include "portcullis/config/config.hpp"
#include "portcullis/policy/api.hpp"
#include "portcullis/protocol/config_check.hpp"

namespace portcullis::cli {
namespace {

constexpr int kRequestJsonDepth = 72;

void append_json_string(std::string& out, std::string_view s) {
  out += nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace);
}

void append_list(std::string& out, const char* key, const std::vector<std::string>& items) {
  out += '"';
  out += key;
  out += "\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, items[i]);
  }
  out += ']';
}

std::string render(const policy::Response& r) {
  std::string out = "{\"decision\":";
  out += r.decision == policy::Decision::Allow ? "\"allow\"," : "\"deny\",";
  append_list(out, "reasons", r.reasons);
  out += ',';
  append_list(out, "errors", r.errors);
  out += ',';
  append_list(out, "diagnostics", r.diagnostics);
  if (!r.would_deny.empty()) {
    out += ',';
    append_list(out, "would_deny", r.would_deny);
  }
  if (!r.labels.empty()) {
    out += ',';
    append_list(out, "labels", r.labels);
  }
  out += "}\n";
  return out;
}

// Parses one request; on failure returns the problem.
Result<policy::Request> read_request(std::string_view text) {
  nlohmann::json json;
  policy::JsonError error;
  if (!policy::parse_json_text(text, kRequestJsonDepth, json, error)) {
    std::string where;
    if (error.line != 0) {
      where = "column " + std::to_string(error.column) + ": ";
      if (error.line > 1) {
        where = "line " + std::to_string(error.line) + " column " + std::to_string(error.column) +
                ": ";
      }
    }
    return fail(where + error.message);
  }
  return policy::request_from_json(json);
}

std::string unreadable(const std::string& message) {
  policy::Response r;
  r.diagnostics.push_back(message);
  return render(r);
}

}  // namespace

int run_check(const policy::Authorizer& authorizer, std::istream& in, CheckInput mode,
              std::ostream& out, std::ostream& err) {
  if (mode == CheckInput::Single) {
    auto request = read_request(read_stream(in));
    if (!request) {
      err << "portcullis check: unreadable request: " << request.error().message << "\n";
      out << unreadable("unreadable request: " + request.error().message);
      return 2;
    }
    out << render(authorizer.is_authorized(*request));
    return out ? 0 : 2;
  }
  int exit_code = 0;
  std::string line;
  std::string buffer;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto request = read_request(line);
    if (!request) {
      const std::string message =
          "line " + std::to_string(number) + ": unreadable request: " + request.error().message;
      err << "portcullis check: " << message << "\n";
      buffer += unreadable(message);
      exit_code = 2;
    } else {
      buffer += render(authorizer.is_authorized(*request));
    }
    if (buffer.size() > (1 << 16)) {
      out << buffer;
      buffer.clear();
    }
  }
  out << buffer;
  out.flush();
  if (in.bad() || !out) {
    err << "portcullis check: I/O error\n";
    return 2;
  }
  return exit_code;
}

void add_check_command(CLI::App& app, int& exit_code) {
  struct Options {
    PolicySource source;
    std::string request;
    std::string batch;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("check", "Decide Cedar JSON requests offline");
  add_policy_source_options(*cmd, options->source,
                            "The gateway's config file: decide exactly as `serve` would (implied "
                            "entities, action groups, policy_errors)",
                            "A .cedar file or a directory of them (pure Cedar)");
  auto* request = cmd->add_option("--request", options->request, "One JSON request (FILE or -)");
  auto* batch = cmd->add_option("--batch", options->batch, "One JSON request per line (FILE or -)");
  request->excludes(batch);
  batch->excludes(request);
  cmd->callback([options, &exit_code] {
    if (options->request.empty() && options->batch.empty()) {
      std::cerr << "portcullis check: give --request FILE|- or --batch FILE|-\n";
      exit_code = 2;
      return;
    }
    if (options->source.config.empty() && options->source.policies.empty()) {
      std::cerr << "portcullis check: give --config FILE or --policies PATH\n";
      exit_code = 2;
      return;
    }
    Diagnostics diagnostics;
    std::shared_ptr<const policy::PolicySet> policies;
    std::shared_ptr<const policy::Entities> entities = std::make_shared<const policy::Entities>();
    policy::AuthorizerOptions authorizer_options;  // pure Cedar unless --config
    if (!options->source.config.empty()) {
      // The gateway's own loading path, so the answer is the one `serve` gives.
      auto loaded_config = config::load_config(options->source.config, diagnostics);
      if (loaded_config) {
        auto loaded = protocol::load_policies(**loaded_config, diagnostics);
        if (loaded) {
          policies = loaded->policies;
          entities = loaded->entities;
          authorizer_options = loaded->options;
        }
      }
    } else {
      policies = policy::PolicySet::load(options->source.policies, diagnostics);
      if (!options->source.entities.empty()) {
        entities = load_entities_option(options->source.entities, &read_input, diagnostics);
      }
    }
    if (!diagnostics.empty() || !policies || !entities) {
      for (const auto& d : diagnostics) std::cerr << d.to_string() << "\n";
      exit_code = 2;
      return;
    }
    const policy::Authorizer authorizer(policies, entities, std::move(authorizer_options));
    const bool is_batch = !options->batch.empty();
    const std::string& path = is_batch ? options->batch : options->request;
    const CheckInput mode = is_batch ? CheckInput::Batch : CheckInput::Single;
    std::ios::sync_with_stdio(false);
    if (path == "-") {
      exit_code = run_check(authorizer, std::cin, mode, std::cout, std::cerr);
      return;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "portcullis check: cannot read " << path << "\n";
      exit_code = 2;
      return;
    }
    exit_code = run_check(authorizer, in, mode, std::cout, std::cerr);
  });
}

}  // namespace portcullis::cli
