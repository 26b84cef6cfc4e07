// Runtime: one immutable, validated set of what the data path reads per request — the config,
// its router, the compiled policies and the upstream pools. Built whole (start-up, SIGHUP,
// POST /reload) and published with one atomic store; a request keeps the shared_ptr it loaded
// when it started, so in-flight requests finish on the set they began with.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <memory>
#include <string>

#include "portcullis/common/diagnostic.hpp"
#include "portcullis/common/result.hpp"
#include "portcullis/config/config.hpp"
#include "portcullis/policy/authorizer.hpp"
#include "portcullis/protocol/router.hpp"

namespace portcullis::net {

class UpstreamPool;

struct Runtime {
  std::shared_ptr<const config::Config> config;
  std::unique_ptr<protocol::Router> router;  // points into *config
  std::shared_ptr<const policy::Authorizer> authorizer;
  std::string policy_set_hash;
  std::map<std::string, std::shared_ptr<UpstreamPool>, std::less<>> pools;  // by route name

  Runtime() = default;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  ~Runtime();

  [[nodiscard]] UpstreamPool* pool(std::string_view route) const;
};

// Loads policies and entities named by `config`, compiles them, and prepares an upstream pool
// per route (TLS contexts included). Every problem goes to `diagnostics`; nothing partial is
// returned. `executor` is where new upstream connections live (each on a strand of its own when
// `io_threads` > 1; see UpstreamPool).
[[nodiscard]] Result<std::shared_ptr<const Runtime>> build_runtime(
    std::shared_ptr<const config::Config> config, boost::asio::any_io_executor executor,
    std::uint32_t io_threads, Diagnostics& diagnostics);

}  // namespace portcullis::net
