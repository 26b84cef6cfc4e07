// SIEM delivery: ships the durable audit log to SIEMs over RELP or syslog (RFC 5424/6587/5425).
//
// The file is the record of truth (DESIGN.md "Audit record", sinks). Each configured sink reads
// it on its own thread through audit::LogReader, from its persisted audit::DeliveryCursor, so a
// SIEM outage never blocks a request: the gateway only appends to the log, it never waits on a
// sink. Failures back off with jitter; a lag figure (records and seconds behind) is kept per sink
// and an alarm is logged when it exceeds the configured thresholds.
//
//   RELP    lossless: the cursor advances only over records the receiver acknowledged.
//   syslog  no acknowledgement: after every (re)connect the sink re-sends `resend_window`
//           records before the cursor. At-least-once; receivers de-duplicate by metadata.uid.
//
// Threading: SiemDelivery::start() and stop() are called by the owner (the gateway's main
// thread); lag(), stats() and status() may be called from any thread (they read snapshots).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/common/result.hpp"

namespace portcullis::net {

enum class SiemSinkType {
  Relp,    // RELP (librelp), acknowledged
  Syslog,  // RFC 5424 over TCP, octet-counted (RFC 6587); over TLS when tls.enabled (RFC 5425)
};

// "relp" | "syslog" (config spelling).
[[nodiscard]] Result<SiemSinkType> parse_siem_sink_type(std::string_view text);
[[nodiscard]] std::string_view to_string(SiemSinkType type);

struct SiemTlsOptions {
  bool enabled = true;         // false = plain TCP (tests, or a receiver on the same host)
  std::filesystem::path ca;    // CA bundle (PEM) that must have issued the receiver's
                               // certificate; "" = the system trust store (syslog only: RELP
                               // requires a file)
  std::filesystem::path cert;  // our client certificate chain (PEM), presented to the receiver
  std::filesystem::path key;   // its private key (PEM)
  std::string server_name;     // name the receiver's certificate must carry (SAN DNS/IP, or CN
                               // for RELP); "" = the host part of `address`
};

struct SiemSinkOptions {
  std::string name;  // unique; names the cursor file `<cursor_dir>/<name>.cursor`
  SiemSinkType type = SiemSinkType::Relp;
  std::string address;  // host:port ("[v6]:port" for IPv6 literals)
  SiemTlsOptions tls;

  // syslog only: records re-sent before the cursor after every (re)connect, covering what may
  // have been lost in socket buffers when a connection died. Must exceed what the kernel can
  // buffer: roughly (send buffer + receiver's receive buffer) / smallest record size.
  std::uint64_t resend_window = 1000;
  // RELP only: frames in flight before waiting for acknowledgements (librelp's window, >= 2).
  int relp_window = 128;

  std::size_t batch_records = 256;  // records read from the log per batch
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds io_timeout{10000};     // a stalled receiver is dropped after this
                                                   // (RELP: whole seconds, at least 1)
  std::chrono::milliseconds backoff_initial{200};  // first retry delay after a failure
  std::chrono::milliseconds backoff_max{30000};    // retry delays grow (with jitter) up to this
  std::chrono::milliseconds poll_interval{100};    // how often an idle sink looks for new records
  std::chrono::milliseconds cursor_sync_interval{500};  // the cursor is fsynced at most this
                                                        // often while records flow, and always
                                                        // when the sink catches up or stops
  // RELP: how long an idle sink keeps its connection before closing it, which is what confirms
  // the last `relp_window` records (see docs: "the RELP acknowledgement window").
  std::chrono::milliseconds relp_idle_close{200};

  // Alarm (a log line at warn level, and SiemLag::alarm) when either is exceeded.
  std::uint64_t lag_alarm_records = 10000;
  std::chrono::seconds lag_alarm_age{60};

  // RFC 5424 header fields.
  int facility = 13;  // 13 = log audit
  int severity = 6;   // 6 = informational
  std::string app_name = "portcullis";
  std::string hostname;  // "" = this host's name
};

struct SiemDeliveryOptions {
  std::filesystem::path log_dir;     // the audit log directory (AuditLogOptions::dir)
  std::filesystem::path cursor_dir;  // where `<sink>.cursor` files live (created if missing)
  std::vector<SiemSinkOptions> sinks;
};

// How far behind a sink is. `seconds` is the age of the oldest record not yet delivered (0 when
// caught up), measured against the record's own `time`.
struct SiemLag {
  std::uint64_t records = 0;  // latest_sequence - delivered_sequence
  double seconds = 0;
  std::uint64_t delivered_sequence = 0;  // last record known delivered (RELP: acknowledged)
  std::uint64_t latest_sequence = 0;     // last complete record in the log
  bool alarm = false;                    // over lag_alarm_records or lag_alarm_age
};

struct SiemSinkStats {
  std::uint64_t sent = 0;             // messages written to a connection (including re-sends)
  std::uint64_t resent = 0;           // of which re-sent (syslog window, RELP after a failure)
  std::uint64_t delivered = 0;        // records newly confirmed (the cursor moved over them)
  std::uint64_t connects = 0;         // successful connections
  std::uint64_t failures = 0;         // failed connects, sends, flushes, log reads, cursor writes
  std::uint64_t alarms = 0;           // times the lag alarm was raised
  std::uint64_t skipped_records = 0;  // records removed from disk before they were delivered
  bool connected = false;
  std::string last_error;  // "" when the last attempt succeeded
};

struct SiemSinkStatus {
  std::string name;
  SiemSinkType type = SiemSinkType::Relp;
  SiemLag lag;
  SiemSinkStats stats;
};

// One running sink. Owned by SiemDelivery; its methods are safe from any thread.
class SiemSink {
 public:
  virtual ~SiemSink() = default;
  [[nodiscard]] virtual const std::string& name() const = 0;
  [[nodiscard]] virtual SiemSinkType type() const = 0;
  [[nodiscard]] virtual SiemLag lag() const = 0;
  [[nodiscard]] virtual SiemSinkStats stats() const = 0;
};

// Starts and owns the configured sinks.
class SiemDelivery {
 public:
  // Validates every sink (names unique and valid, address host:port, TLS files readable when
  // enabled, numbers in range), opens each cursor, then starts one thread per sink. Never touches
  // the network itself: a receiver that is down only shows up in lag and stats.
  [[nodiscard]] static Result<std::unique_ptr<SiemDelivery>> start(SiemDeliveryOptions options);

  ~SiemDelivery();
  SiemDelivery(const SiemDelivery&) = delete;
  SiemDelivery& operator=(const SiemDelivery&) = delete;

  // Stops every sink. With a `catch_up` time, each first delivers every record the log holds
  // (call it after the AuditLog is closed, so its final checkpoint is among them) and stops once
  // it has, or when `catch_up` has passed; without, each stops after its current send. Either way
  // a sink confirms what it can (RELP closes its session cleanly) and stores its cursor: what it
  // did not deliver goes at the next start. Returns when every sink has stopped: within
  // `catch_up` plus the longest connect_timeout or io_timeout. Idempotent.
  void stop(std::chrono::milliseconds catch_up = std::chrono::milliseconds::zero());

  [[nodiscard]] std::vector<SiemSinkStatus> status() const;
  // nullptr when no sink has that name.
  [[nodiscard]] const SiemSink* sink(std::string_view name) const;

 private:
  SiemDelivery() = default;
  std::vector<std::unique_ptr<SiemSink>> sinks_;
};

// Checks one sink's options as start() does (for `portcullis validate`).
[[nodiscard]] Result<void> validate_siem_sink(const SiemSinkOptions& options);

// A stable sink name for configurations that do not name their sinks: "<type>-<host>-<port>"
// with characters a file name cannot hold replaced by '_'. The name keys the cursor file, so a
// sink whose address changes starts from the beginning of the log.
[[nodiscard]] std::string default_siem_sink_name(SiemSinkType type, std::string_view host,
                                                 std::uint16_t port);

}  // namespace portcullis::net
