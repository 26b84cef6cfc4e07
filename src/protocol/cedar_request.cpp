// Action + request facts → Cedar request, with every common context key present.
#include "portcullis/protocol/cedar_request.hpp"

#include <array>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "portcullis/common/utc_time.hpp"

namespace portcullis::protocol {
namespace {

using policy::Value;

Value string_set(const std::vector<std::string>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (const auto& item : items) {
    values.push_back(Value::string(item));
  }
  return Value::set(std::move(values));
}

// The last few values built from equal inputs on this thread. A gateway I/O thread serves the
// requests of many connections interleaved, mostly from a few agents, so a handful of entries
// keeps the per-connection parts hot; a miss only costs the build it would have done anyway.
// The key is the whole input (compared with ==), never a hash or an address, so an entry can
// only be reused for facts that would build the same value.
template <typename Key>
class RecentValues {
 public:
  [[nodiscard]] const Value* find(const Key& key) const {
    for (const auto& entry : entries_) {
      if (entry.used && entry.key == key) {
        return &entry.value;
      }
    }
    return nullptr;
  }
  const Value& put(const Key& key, Value value) {
    Entry& entry = entries_[next_];
    next_ = (next_ + 1) % entries_.size();
    entry.used = true;
    entry.key = key;
    entry.value = std::move(value);
    return entry.value;
  }

 private:
  struct Entry {
    bool used = false;
    Key key{};
    Value value;
  };
  std::array<Entry, 4> entries_{};
  std::size_t next_ = 0;
};

// Cedar's datetime parser reads four-digit years, so only instants in years 1..9999 are built
// directly from their milliseconds; any other instant takes the text route and fails there
// exactly as before (unreachable with a 64-bit nanosecond system_clock, 1677..2262, but a clock
// with a wider range must not turn an unparsable instant into a value).
constexpr std::int64_t kFirstDirectMs = -62135596800000;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kEndDirectMs = 253402300800000;    // 10000-01-01T00:00:00Z

Result<Value> datetime_value(std::chrono::system_clock::time_point when) {
  const std::int64_t ms =
      std::chrono::time_point_cast<std::chrono::milliseconds>(when).time_since_epoch().count();
  if (ms >= kFirstDirectMs && ms < kEndDirectMs) {
    return Value::datetime(ms);  // what parsing cedar_datetime(when) gives, without the text
  }
  return Value::extension("datetime", cedar_datetime(when));
}

Result<Value> tls_record(const TlsFacts& tls) {
  thread_local RecentValues<TlsFacts> recent;
  if (const Value* hit = recent.find(tls)) {
    return *hit;
  }
  auto not_after = datetime_value(tls.not_after);
  if (!not_after) {
    return fail("tls.not_after: " + not_after.error().message);
  }
  // Members in key order, so Value::record has nothing to sort.
  return recent.put(tls, Value::record({
                             {"issuer", Value::string(tls.issuer)},
                             {"not_after", std::move(*not_after)},
                             {"sans", string_set(tls.sans)},
                             {"spiffe_id", Value::string(tls.spiffe_id)},
                             {"subject", Value::string(tls.subject)},
                         }));
}

Result<Value> source_ip_value(const std::string& source_ip) {
  thread_local RecentValues<std::string> recent;
  if (const Value* hit = recent.find(source_ip)) {
    return *hit;
  }
  auto ip = Value::extension("ip", source_ip);
  if (!ip) {
    return fail("source address '" + source_ip + "': " + ip.error().message);
  }
  return recent.put(source_ip, std::move(*ip));
}

Value route_value(const std::string& route) {
  thread_local RecentValues<std::string> recent;
  if (const Value* hit = recent.find(route)) {
    return *hit;
  }
  return recent.put(route, Value::string(route));
}

Value session_record(const SessionFacts& session) {
  thread_local RecentValues<SessionFacts> recent;
  if (const Value* hit = recent.find(session)) {
    return *hit;
  }
  return recent.put(session, Value::record({
                                 {"id", Value::string(session.id)},
                                 {"labels", string_set(session.labels)},
                                 {"tools", string_set(session.tools)},
                             }));
}

// The rate counters: new for every request. The fields are emplaced, not copied from an
// initializer list (whose elements are const: both keys, longer than the small-string buffer,
// would be allocated twice).
Value rate_record(const RateFacts& rate) {
  std::vector<std::pair<std::string, Value>> fields;
  fields.reserve(2);
  fields.emplace_back("agent_per_minute", Value::integer(rate.agent_per_minute));
  fields.emplace_back("resource_per_minute", Value::integer(rate.resource_per_minute));
  return Value::record(std::move(fields));
}

// context.hour and context.weekday for `when` in `zone`. Zone offsets and their transitions are
// whole seconds, so both are the same for every instant of one UTC second: they are computed
// once per second and zone. The zone is keyed by its name, which is all TimeZone::locate reads,
// so a reload that changes the configured zone misses here at once.
struct LocalTimeValues {
  Value hour;
  Value weekday;
};

LocalTimeValues local_time_values(std::chrono::system_clock::time_point when,
                                  const config::TimeZone& zone) {
  struct Memo {
    bool used = false;
    std::int64_t second = 0;
    std::string zone;
    LocalTimeValues values;
  };
  thread_local Memo memo;
  const auto second = std::chrono::floor<std::chrono::seconds>(when);
  const std::int64_t key = second.time_since_epoch().count();
  if (!memo.used || memo.second != key || memo.zone != zone.name()) {
    const config::LocalTime local = zone.local_time(when);
    memo.values = {Value::integer(local.hour), Value::integer(local.weekday)};
    memo.second = key;
    memo.zone = zone.name();
    memo.used = true;
  }
  return memo.values;
}

}  // namespace

std::string cedar_datetime(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  return format_utc_millis(time_point_cast<milliseconds>(when).time_since_epoch().count());
}

Result<policy::Request> build_cedar_request(const Action& action, const RequestFacts& facts,
                                            const config::TimeZone& zone, int max_depth) {
  return build_cedar_request(action, facts, facts.rate, zone, max_depth);
}

Result<policy::Request> build_cedar_request(const Action& action, const RequestFacts& facts,
                                            const RateFacts& rate, const config::TimeZone& zone,
                                            int max_depth) {
  auto ip = source_ip_value(facts.source_ip);
  if (!ip) {
    return tl::unexpected(std::move(ip.error()));
  }
  auto time = datetime_value(facts.time);
  if (!time) {
    return fail("time: " + time.error().message);
  }
  auto tls = tls_record(facts.tls);
  if (!tls) {
    return tl::unexpected(std::move(tls.error()));
  }
  LocalTimeValues local = local_time_values(facts.time, zone);

  // The common keys in key order; the action's members (a JSON object iterates in key order
  // too) are merged in between, so the context arrives sorted and Value::record does not sort.
  std::array<std::pair<std::string_view, Value>, 8> common{{
      {"hour", std::move(local.hour)},
      {"rate", rate_record(rate)},
      {"route", route_value(facts.route)},
      {"session", session_record(facts.session)},
      {"source_ip", std::move(*ip)},
      {"time", std::move(*time)},
      {"tls", std::move(*tls)},
      {"weekday", std::move(local.weekday)},
  }};
  std::vector<std::pair<std::string, Value>> context;
  context.reserve(common.size() + (action.context.is_object() ? action.context.size() : 0));
  auto next_common = common.begin();
  if (action.context.is_object()) {
    for (const auto& [key, member] : action.context.items()) {
      while (next_common != common.end() && next_common->first < key) {
        context.emplace_back(next_common->first, std::move(next_common->second));
        ++next_common;
      }
      if (next_common != common.end() && next_common->first == key) {
        // Extraction never produces these; refusing keeps the common keys trustworthy.
        return fail("action context member '" + key + "' collides with a common context key");
      }
      auto value = policy::value_from_plain_json(member, max_depth);
      if (!value) {
        return fail("context." + key + ": " + value.error().message);
      }
      context.emplace_back(key, std::move(*value));
    }
  }
  for (; next_common != common.end(); ++next_common) {
    context.emplace_back(next_common->first, std::move(next_common->second));
  }

  policy::Request request;
  request.principal = policy::EntityUid{"Agent", facts.agent};
  request.action = policy::EntityUid{"Action", action.action};
  request.resource = action.resource;
  request.context = Value::record(std::move(context));
  return request;
}

}  // namespace portcullis::protocol
