// Action + request facts → Cedar request, with every common context key present.
#include "portcullis/protocol/cedar_request.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

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

}  // namespace

std::string cedar_datetime(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto ms = time_point_cast<milliseconds>(when);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{ms - day};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                static_cast<int>(tod.subseconds().count()));
  return buffer;
}

Result<policy::Request> build_cedar_request(const Action& action, const RequestFacts& facts,
                                            const config::TimeZone& zone, int max_depth) {
  return build_cedar_request(action, facts, facts.rate, zone, max_depth);
}

Result<policy::Request> build_cedar_request(const Action& action, const RequestFacts& facts,
                                            const RateFacts& rate, const config::TimeZone& zone,
                                            int max_depth) {
  auto ip = Value::extension("ip", facts.source_ip);
  if (!ip) {
    return fail("source address '" + facts.source_ip + "': " + ip.error().message);
  }
  auto time = Value::extension("datetime", cedar_datetime(facts.time));
  if (!time) {
    return fail("time: " + time.error().message);
  }
  auto not_after = Value::extension("datetime", cedar_datetime(facts.tls.not_after));
  if (!not_after) {
    return fail("tls.not_after: " + not_after.error().message);
  }
  const config::LocalTime local = zone.local_time(facts.time);

  std::vector<std::pair<std::string, Value>> context;
  context.reserve(10 + (action.context.is_object() ? action.context.size() : 0));
  context.emplace_back("source_ip", std::move(*ip));
  context.emplace_back("time", std::move(*time));
  context.emplace_back("hour", Value::integer(local.hour));
  context.emplace_back("weekday", Value::integer(local.weekday));
  context.emplace_back("tls", Value::record({
                                  {"subject", Value::string(facts.tls.subject)},
                                  {"issuer", Value::string(facts.tls.issuer)},
                                  {"spiffe_id", Value::string(facts.tls.spiffe_id)},
                                  {"sans", string_set(facts.tls.sans)},
                                  {"not_after", std::move(*not_after)},
                              }));
  context.emplace_back("route", Value::string(facts.route));
  context.emplace_back("session", Value::record({
                                      {"id", Value::string(facts.session.id)},
                                      {"tools", string_set(facts.session.tools)},
                                      {"labels", string_set(facts.session.labels)},
                                  }));
  context.emplace_back("rate", Value::record({
                                   {"agent_per_minute", Value::integer(rate.agent_per_minute)},
                                   {"resource_per_minute", Value::integer(rate.resource_per_minute)},
                               }));
  const std::size_t common = context.size();
  if (action.context.is_object()) {
    for (const auto& [key, member] : action.context.items()) {
      bool clash = false;
      for (std::size_t i = 0; i < common; ++i) {
        clash = clash || context[i].first == key;
      }
      if (clash) {
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

  policy::Request request;
  request.principal = policy::EntityUid{"Agent", facts.agent};
  request.action = policy::EntityUid{"Action", action.action};
  request.resource = action.resource;
  request.context = Value::record(std::move(context));
  return request;
}

}  // namespace portcullis::protocol
