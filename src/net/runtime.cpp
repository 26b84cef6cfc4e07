#include "net/runtime.hpp"

#include "net/connection_executor.hpp"
#include "net/tls_context.hpp"
#include "net/upstream_pool.hpp"
#include "portcullis/protocol/config_check.hpp"

namespace portcullis::net {

Runtime::~Runtime() = default;

UpstreamPool* Runtime::pool(std::string_view route) const {
  const auto it = pools.find(route);
  return it == pools.end() ? nullptr : it->second.get();
}

Result<std::shared_ptr<const Runtime>> build_runtime(std::shared_ptr<const config::Config> config,
                                                     boost::asio::any_io_executor executor,
                                                     std::uint32_t io_threads,
                                                     Diagnostics& diagnostics) {
  auto loaded = protocol::load_policies(*config, diagnostics);
  if (!loaded) {
    return tl::unexpected(loaded.error());
  }
  auto runtime = std::make_shared<Runtime>();
  runtime->policy_set_hash = loaded->policies->hash();
  runtime->authorizer = std::make_shared<const policy::Authorizer>(
      loaded->policies, loaded->entities, loaded->options);
  runtime->router = std::make_unique<protocol::Router>(*config);
  bool ok = true;
  for (const auto& route : config->routes) {
    std::shared_ptr<boost::asio::ssl::context> tls;
    if (route.upstream.scheme == "https") {
      auto context = make_client_tls_context(route.upstream_tls);
      if (!context) {
        diagnostics.push_back({config->file.string(), route.position.line, route.position.column,
                               "route " + route.name + ": " + context.error().message});
        ok = false;
        continue;
      }
      tls = std::move(*context);
    }
    runtime->pools.emplace(route.name,
                           std::make_shared<UpstreamPool>(
                               executor, needs_strand_per_connection(io_threads), route, tls));
  }
  if (!ok) {
    return fail("upstream TLS configuration failed");
  }
  runtime->config = std::move(config);
  return std::shared_ptr<const Runtime>(std::move(runtime));
}

}  // namespace portcullis::net
