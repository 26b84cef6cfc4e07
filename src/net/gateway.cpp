#include "portcullis/net/gateway.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <csignal>
#include <optional>
#include <spdlog/spdlog.h>
#include <thread>
#include <vector>

#include "net/admin_session.hpp"
#include "net/gateway_core.hpp"
#include "net/http_session.hpp"
#include "net/listener.hpp"
#include "net/runtime.hpp"
#include "net/tls_context.hpp"
#include "portcullis/admin/admin_handler.hpp"
#include "portcullis/admin/rebuild.hpp"
#include "portcullis/audit/log_reader.hpp"
#include "portcullis/config/start_only.hpp"
#include "portcullis/net/siem_sink.hpp"
#include "portcullis/protocol/config_check.hpp"

namespace portcullis::net {

namespace {

// The timer anchor: a timer that re-arms itself every kAnchorPeriod, shorter than every I/O
// timeout, so that it is always the earliest deadline in the reactor's timer queue. Each proxied
// call arms and cancels four per-operation timeouts (agent read and write, upstream write and
// read); Asio reprograms its timerfd — one syscall, ~3 µs on the benchmark VM — whenever a newly
// armed timer is the earliest, which at light load (one connection: the queue otherwise empty)
// is every one of them. With the anchor in front, arming a timeout reprograms nothing; the anchor
// itself costs one wake-up and one timerfd_settime per period.
constexpr std::chrono::milliseconds kAnchorPeriod{500};

void arm_timer_anchor(asio::steady_timer& anchor) {
  anchor.expires_after(kAnchorPeriod);
  anchor.async_wait([&anchor](const boost::system::error_code& ec) {
    if (!ec) {
      arm_timer_anchor(anchor);
    }
  });
}

// How many threads run the io_context: GatewayOptions::threads when set, else the config's
// `threads`, else one per core. Fixed for the gateway's life (a reload does not change it).
std::uint32_t io_thread_count(const GatewayOptions& options) {
  std::uint32_t threads = options.threads > 0 ? options.threads : options.config->threads;
  if (threads == 0) {
    threads = std::max(1U, std::thread::hardware_concurrency());
  }
  return threads;
}

// With one I/O thread the io_context is told so (BOOST_ASIO_CONCURRENCY_HINT_1): handlers that
// the I/O thread itself posts (a cancelled timeout's completion, a TLS operation's completion,
// the audit flush, a decision's completion) then go to that thread's private queue without the
// scheduler's mutex and without waking anyone. The hint keeps the scheduler's and the reactor's
// locking on (only BOOST_ASIO_CONCURRENCY_HINT_UNSAFE* turn it off), so other threads — the
// audit writer posting a strict-mode completion, the control pool, shutdown() — still post
// through the locked queue as before. With more threads: Asio's default.
std::unique_ptr<asio::io_context> make_io_context(std::uint32_t io_threads) {
  return io_threads == 1 ? std::make_unique<asio::io_context>(BOOST_ASIO_CONCURRENCY_HINT_1)
                         : std::make_unique<asio::io_context>();
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string join(const Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    if (!out.empty()) {
      out += "\n";
    }
    out += d.to_string();
  }
  return out;
}

// What one data listener gives its new connections. A listener with bad TLS material adds a
// diagnostic and yields nullptr.
std::shared_ptr<const ListenerContext> make_listener_context(const config::Config& config,
                                                             const config::Listener& listener,
                                                             Diagnostics& diagnostics) {
  auto context = std::make_shared<ListenerContext>();
  context->name = listener.name;
  context->identity_header = listener.identity_header;
  context->public_url = listener.public_url;
  context->plaintext_identity = listener.plaintext_identity;
  if (listener.tls) {
    auto tls = make_server_tls_context(*listener.tls);
    if (!tls) {
      diagnostics.push_back({config.file.string(), listener.position.line,
                             listener.position.column,
                             "listener " + listener.name + ": " + tls.error().message});
      return nullptr;
    }
    context->tls = std::move(*tls);
  }
  return context;
}

// The admin listener's TLS context (nullptr without admin.tls); false on bad TLS material.
bool make_admin_tls(const config::Config& config, std::shared_ptr<asio::ssl::context>& out,
                    Diagnostics& diagnostics) {
  out = nullptr;
  if (!config.admin || !config.admin->tls) {
    return true;
  }
  auto tls = make_server_tls_context(*config.admin->tls, /*require_client_cert=*/false);
  if (!tls) {
    diagnostics.push_back({config.file.string(), config.admin->position.line,
                           config.admin->position.column, "admin: " + tls.error().message});
    return false;
  }
  out = std::move(*tls);
  return true;
}

admin::AuditSinkSnapshot sink_snapshot(const SiemSinkStatus& status) {
  admin::AuditSinkSnapshot out;
  out.sink = status.name;
  out.lag_records = status.lag.records;
  out.lag_seconds = status.lag.seconds;
  out.alarm = status.lag.alarm;
  out.connected = status.stats.connected;
  out.delivered = status.stats.delivered;
  out.connects = status.stats.connects;
  out.failures = status.stats.failures;
  return out;
}

}  // namespace

struct Gateway::Impl {
  GatewayOptions options;
  std::uint32_t io_threads = io_thread_count(options);  // see io_thread_count
  // Destroyed explicitly in ~Gateway (after the listeners and pools, before the state its
  // pending handlers point into).
  std::unique_ptr<asio::io_context> ioc_owner = make_io_context(io_threads);
  asio::io_context& ioc = *ioc_owner;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::optional<asio::steady_timer> timer_anchor;  // see arm_timer_anchor
  asio::thread_pool control{1};  // reloads and shutdown: file I/O and joins off the I/O threads

  admin::GatewayMetrics metrics;
  admin::QuarantineList quarantine;
  admin::SessionState sessions;
  admin::RateCounter rates;
  SessionRegistry registry;
  std::shared_ptr<GatewayCore> core = std::make_shared<GatewayCore>();

  // What a listener hands to its next connection. Reload stores a new value (new TLS material
  // included); a connection keeps the one it was accepted with for its whole life.
  using ContextSlot = std::atomic<std::shared_ptr<const ListenerContext>>;
  using TlsSlot = std::atomic<std::shared_ptr<asio::ssl::context>>;

  struct DataListener {
    std::string name;
    config::HostPort address;  // as bound at start (a change needs a restart)
    bool tls = false;          // TLS or plain, as started (a change needs a restart)
    std::shared_ptr<ContextSlot> context;
    std::shared_ptr<Listener> listener;
  };
  std::vector<DataListener> listeners;
  std::shared_ptr<Listener> admin_listener;
  std::shared_ptr<TlsSlot> admin_tls = std::make_shared<TlsSlot>();
  std::shared_ptr<const admin::AdminHandler> admin_handler;
  std::optional<asio::signal_set> signals;

  std::mutex reload_mutex;
  std::mutex state_mutex;
  std::condition_variable stopped_cv;
  bool started = false;
  bool stopping = false;
  bool stopped = false;

  explicit Impl(GatewayOptions o)
      : options(std::move(o)),
        sessions(admin::SessionStateOptions{.label_ttl = options.config->label_ttl}) {}
};

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() {
  shutdown(std::chrono::milliseconds(0));
  // Teardown order matters: I/O objects must go before their io_context, and the io_context
  // (whose queued handlers own sessions) before the shared state those sessions point into.
  impl_->signals.reset();
  impl_->listeners.clear();
  impl_->admin_listener.reset();
  impl_->core->runtime.store(nullptr);
  impl_->timer_anchor.reset();
  impl_->ioc_owner.reset();
}

Result<std::unique_ptr<Gateway>> Gateway::create(GatewayOptions options, Diagnostics& diagnostics) {
  if (!options.config || !options.audit) {
    return fail("gateway needs a config and an audit log");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  const auto& config = *impl->options.config;
  auto runtime = build_runtime(impl->options.config, impl->ioc.get_executor(), impl->io_threads,
                               diagnostics);
  if (!runtime) {
    return fail("cannot load the configuration:\n" + join(diagnostics));
  }
  auto& core = *impl->core;
  core.runtime.store(*runtime);
  core.audit = impl->options.audit.get();
  core.metrics = &impl->metrics;
  core.quarantine = &impl->quarantine;
  core.sessions = &impl->sessions;
  core.rates = &impl->rates;
  core.registry = &impl->registry;

  for (const auto& listener : config.listeners) {
    auto context = make_listener_context(config, listener, diagnostics);
    if (!context) {
      continue;
    }
    impl->listeners.push_back({listener.name, listener.address, listener.tls.has_value(),
                               std::make_shared<Impl::ContextSlot>(std::move(context)), nullptr});
  }
  std::shared_ptr<asio::ssl::context> admin_tls;
  if (make_admin_tls(config, admin_tls, diagnostics)) {
    impl->admin_tls->store(std::move(admin_tls));
  }
  if (!diagnostics.empty()) {
    return fail("cannot load the configuration:\n" + join(diagnostics));
  }

  // A restart must neither lift a quarantine nor shed labels: replay the audit log first.
  const auto scan = [dir = config.audit.dir](const admin::RecordVisitor& visit) -> Result<void> {
    audit::LogReader reader(dir);
    for (;;) {
      auto records = reader.read();
      if (!records) {
        return tl::unexpected(records.error());
      }
      if (records->empty()) {
        return {};
      }
      for (const auto& record : *records) {
        auto json = nlohmann::json::parse(record.line, nullptr, false);
        if (!json.is_discarded()) {
          visit(json);
        }
      }
    }
  };
  auto rebuilt = admin::rebuild_from_audit(scan, impl->quarantine, impl->sessions,
                                           std::chrono::system_clock::now());
  if (!rebuilt) {
    return fail("cannot rebuild quarantine and labels from the audit log: " +
                rebuilt.error().message);
  }
  impl->metrics.set_quarantined_agents(impl->quarantine.size());
  // Session and rate state sizes in /metrics; both outlive every render (members of Impl,
  // and renders stop with the admin listener).
  impl->metrics.watch_state(impl->sessions, impl->rates);
  impl->metrics.watch_audit_log([log = impl->options.audit] { return log->stats(); });

  Impl* raw = impl.get();
  std::unique_ptr<Gateway> gateway(new Gateway(std::move(impl)));
  Gateway* self = gateway.get();
  if (config.admin) {
    admin::AdminCallbacks callbacks;
    callbacks.reload = [raw, self](std::string by, admin::ReloadDone done) {
      asio::post(raw->control, [self, by = std::move(by), done = std::move(done)] {
        done(self->reload(by));
      });
    };
    callbacks.record = [raw](audit::AdminEvent event, audit::AppendCompletion done) {
      raw->options.audit->append(std::move(event), std::move(done));
    };
    callbacks.policies_loaded = [raw] { return raw->core->current() != nullptr; };
    callbacks.audit_writable = [raw] { return raw->options.audit->healthy(); };
    callbacks.now_ms = [] { return now_ms(); };
    admin::AdminHandlerOptions handler_options;
    handler_options.allowed_identities = config.admin->allowed_identities;
    raw->admin_handler = std::make_shared<const admin::AdminHandler>(
        std::move(handler_options), std::move(callbacks), raw->quarantine, raw->metrics);
  }
  return gateway;
}

Result<void> Gateway::start() {
  Impl& impl = *impl_;
  const auto& config = *impl.options.config;
  const std::uint32_t threads = impl.io_threads;
  for (auto& data : impl.listeners) {
    auto endpoint = listen_endpoint(data.address.host, data.address.port);
    if (!endpoint) {
      return tl::unexpected(endpoint.error());
    }
    auto slot = data.context;
    auto core = impl.core;
    data.listener = std::make_shared<Listener>(
        impl.ioc, threads, [slot, core](asio::ip::tcp::socket socket) {
          auto context = slot->load();  // the TLS material in force for this connection
          const auto max = core->current()->config->limits.max_connections;
          if (core->draining.load() || core->connections.load() >= max) {
            spdlog::warn("connection refused listener={} reason={}", context->name,
                         core->draining.load() ? "draining" : "max_connections");
            beast::error_code ignored;
            socket.close(ignored);
            return;
          }
          auto session = std::make_shared<HttpSession>(std::move(socket), std::move(context), core);
          core->registry->add(session);
          session->run();
        });
    if (auto opened = data.listener->open(*endpoint); !opened) {
      return fail("listener " + data.name + ": " + opened.error().message);
    }
    spdlog::info("listening listener={} address={}:{} tls={}", data.name,
                 endpoint->address().to_string(), data.listener->local_endpoint().port(),
                 data.tls);
  }
  if (config.admin) {
    auto endpoint = listen_endpoint(config.admin->address.host, config.admin->address.port);
    if (!endpoint) {
      return tl::unexpected(endpoint.error());
    }
    auto tls_slot = impl.admin_tls;
    auto handler = impl.admin_handler;
    admin::GatewayMetrics* metrics = &impl.metrics;
    impl.admin_listener = std::make_shared<Listener>(
        impl.ioc, threads, [tls_slot, handler, metrics](asio::ip::tcp::socket socket) {
          std::make_shared<AdminSession>(std::move(socket), tls_slot->load(), handler, *metrics)
              ->run();
        });
    if (auto opened = impl.admin_listener->open(*endpoint); !opened) {
      return fail("admin listener: " + opened.error().message);
    }
    spdlog::info("admin listening address={}:{} tls={}", endpoint->address().to_string(),
                 impl.admin_listener->local_endpoint().port(), impl.admin_tls->load() != nullptr);
  }
  for (auto& data : impl.listeners) {
    data.listener->run();
  }
  if (impl.admin_listener) {
    impl.admin_listener->run();
  }
  impl.work.emplace(impl.ioc.get_executor());
  arm_timer_anchor(impl.timer_anchor.emplace(impl.ioc));
  for (std::uint32_t i = 0; i < threads; ++i) {
    impl.threads.emplace_back([&impl] { impl.ioc.run(); });
  }
  {
    const std::lock_guard lock(impl.state_mutex);
    impl.started = true;
  }
  spdlog::info("gateway started threads={} policy_set={}", threads,
               impl.core->current()->policy_set_hash);
  return {};
}

std::uint16_t Gateway::port(std::string_view listener) const {
  for (const auto& data : impl_->listeners) {
    if (data.name == listener && data.listener) {
      return data.listener->local_endpoint().port();
    }
  }
  return 0;
}

std::uint16_t Gateway::admin_port() const {
  return impl_->admin_listener ? impl_->admin_listener->local_endpoint().port() : 0;
}

Result<admin::ReloadOutcome> Gateway::reload(const std::string& by) {
  Impl& impl = *impl_;
  const std::lock_guard lock(impl.reload_mutex);
  Diagnostics diagnostics;
  const auto& file = impl.options.config->file;
  auto fail_reload = [&](const std::string& why) -> Result<admin::ReloadOutcome> {
    impl.metrics.count_reload(admin::ReloadResult::Failed);
    spdlog::error("reload failed (the running configuration stays): {}", why);
    return fail(why);
  };
  auto config = config::load_config(file, diagnostics);
  if (!config) {
    return fail_reload(join(diagnostics).empty() ? config.error().message : join(diagnostics));
  }
  if (!protocol::check_config_files(**config, diagnostics)) {
    return fail_reload(join(diagnostics));
  }
  auto runtime = build_runtime(*config, impl.ioc.get_executor(), impl.io_threads, diagnostics);
  if (!runtime) {
    return fail_reload(join(diagnostics).empty() ? runtime.error().message : join(diagnostics));
  }
  // New TLS material for new handshakes: every context is built before any is published, so a
  // bad file changes nothing. Addresses, and TLS versus plain, are fixed by the bound sockets
  // (start_only_changes names a listener that moved; it keeps running as started).
  std::vector<std::pair<Impl::DataListener*, std::shared_ptr<const ListenerContext>>> contexts;
  for (auto& data : impl.listeners) {
    const config::Listener* next = nullptr;
    for (const auto& listener : (*config)->listeners) {
      if (listener.name == data.name) {
        next = &listener;
      }
    }
    if (next == nullptr || next->address != data.address || next->tls.has_value() != data.tls) {
      continue;
    }
    if (auto context = make_listener_context(**config, *next, diagnostics)) {
      contexts.emplace_back(&data, std::move(context));
    }
  }
  std::shared_ptr<asio::ssl::context> admin_tls;
  const bool admin_ok = make_admin_tls(**config, admin_tls, diagnostics);
  if (!diagnostics.empty() || !admin_ok) {
    return fail_reload(join(diagnostics));
  }
  const bool admin_tls_toggled = (admin_tls != nullptr) != (impl.admin_tls->load() != nullptr);
  admin::ReloadOutcome outcome;
  outcome.needs_restart = config::start_only_changes(*impl.options.config, **config);
  for (const auto& setting : outcome.needs_restart) {
    spdlog::warn("reload: {} changed; that needs a restart (it keeps its value until then)",
                 setting);
  }
  const std::string hash = (*runtime)->policy_set_hash;
  impl.core->runtime.store(*runtime);
  for (auto& [data, context] : contexts) {
    data->context->store(std::move(context));
  }
  if (!admin_tls_toggled) {
    impl.admin_tls->store(std::move(admin_tls));
  }
  impl.metrics.count_reload(admin::ReloadResult::Ok);
  impl.metrics.set_restart_pending_settings(outcome.needs_restart.size());
  spdlog::info("reloaded by=\"{}\" policy_set={}", by, hash);
  audit::AdminEvent event;
  event.kind = audit::AdminEvent::Kind::Reload;
  event.time_ms = now_ms();
  event.operator_identity = by;
  event.detail = hash;
  impl.options.audit->append(std::move(event), [](Result<audit::AppendReceipt> r) {
    if (!r) {
      spdlog::error("reload not recorded in the audit log: {}", r.error().message);
    }
  });
  outcome.policy_set = hash;
  return outcome;
}

void Gateway::shutdown(std::chrono::milliseconds deadline) {
  Impl& impl = *impl_;
  {
    const std::lock_guard lock(impl.state_mutex);
    if (impl.stopping) {
      return;
    }
    impl.stopping = true;
  }
  spdlog::info("shutting down: draining for up to {} ms", deadline.count());
  impl.core->draining.store(true);
  for (auto& data : impl.listeners) {
    if (data.listener) {
      data.listener->stop();
    }
  }
  if (impl.admin_listener) {
    impl.admin_listener->stop();
  }
  impl.registry.drain_all();
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (impl.core->exchanges.load() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (impl.core->exchanges.load() > 0) {
    spdlog::warn("drain deadline reached with {} exchanges in flight; closing them",
                 impl.core->exchanges.load());
  }
  impl.work.reset();
  impl.ioc.stop();
  for (auto& thread : impl.threads) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  impl.threads.clear();
  impl.control.join();
  impl.metrics.watch_audit_sinks({});  // the SIEM delivery may go away once we return
  impl.options.audit->close();
  spdlog::info("stopped");
  const std::lock_guard lock(impl.state_mutex);
  impl.stopped = true;
  impl.stopped_cv.notify_all();  // under the lock: a waiter may destroy the gateway right after
}

void Gateway::wait() {
  std::unique_lock lock(impl_->state_mutex);
  impl_->stopped_cv.wait(lock, [this] { return impl_->stopped; });
}

void Gateway::handle_signals(std::chrono::milliseconds drain_deadline) {
  Impl& impl = *impl_;
  impl.signals.emplace(impl.ioc, SIGHUP, SIGTERM, SIGINT);
  struct Handler {
    Gateway* self;
    std::chrono::milliseconds deadline;
    void operator()(const beast::error_code& ec, int signal) const {
      if (ec) {
        return;
      }
      Impl& i = *self->impl_;
      if (signal == SIGHUP) {
        Gateway* gateway = self;
        asio::post(i.control, [gateway] { (void)gateway->reload("signal:SIGHUP"); });
        i.signals->async_wait(*this);
        return;
      }
      spdlog::info("signal {} received", signal);
      // Shutdown joins the I/O threads: run it from a thread of its own, not from this one.
      std::thread([gateway = self, d = deadline] { gateway->shutdown(d); }).detach();
    }
  };
  impl.signals->async_wait(Handler{this, drain_deadline});
}

void Gateway::watch_siem(const SiemDelivery& siem) {
  impl_->metrics.watch_audit_sinks([delivery = &siem] {
    std::vector<admin::AuditSinkSnapshot> out;
    for (const auto& status : delivery->status()) {
      out.push_back(sink_snapshot(status));
    }
    return out;
  });
}

admin::QuarantineList& Gateway::quarantine() { return impl_->quarantine; }
admin::SessionState& Gateway::sessions() { return impl_->sessions; }
admin::GatewayMetrics& Gateway::metrics() { return impl_->metrics; }
std::string Gateway::policy_set_hash() const { return impl_->core->current()->policy_set_hash; }
std::size_t Gateway::open_connections() const { return impl_->core->connections.load(); }

}  // namespace portcullis::net
