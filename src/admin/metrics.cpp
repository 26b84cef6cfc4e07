#include "portcullis/admin/metrics.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <variant>

namespace portcullis::admin {

namespace detail {

std::size_t this_thread_shard() noexcept {
  // Threads take shards round robin on first use, so N I/O threads spread evenly (a hash of the
  // thread id can put two busy threads on one shard).
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Counter, Gauge, Histogram

void Counter::inc(std::uint64_t n) noexcept {
  shards_[detail::this_thread_shard()].value.fetch_add(n, std::memory_order_relaxed);
}

std::uint64_t Counter::value() const noexcept {
  std::uint64_t total = 0;
  for (const auto& shard : shards_) {
    total += shard.value.load(std::memory_order_relaxed);
  }
  return total;
}

void Gauge::set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }

void Gauge::add(double delta) noexcept { value_.fetch_add(delta, std::memory_order_relaxed); }

double Gauge::value() const noexcept { return value_.load(std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> upper_bounds) : upper_bounds_(std::move(upper_bounds)) {
  const std::size_t n = upper_bounds_.size() + 1;  // + the +Inf bucket
  for (auto& shard : shards_) {
    shard.buckets = std::make_unique<std::atomic<std::uint64_t>[]>(n);
    for (std::size_t i = 0; i < n; ++i) {
      shard.buckets[i].store(0, std::memory_order_relaxed);
    }
  }
}

void Histogram::observe(double v) noexcept {
  // NaN has no bucket and would poison the sum for good: it is not an observation.
  if (std::isnan(v)) {
    return;
  }
  // `le` is inclusive: the first bound >= v.
  const auto it = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), v);
  const auto index = static_cast<std::size_t>(it - upper_bounds_.begin());
  auto& shard = shards_[detail::this_thread_shard()];
  shard.buckets[index].fetch_add(1, std::memory_order_relaxed);
  shard.sum.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snap;
  snap.upper_bounds = upper_bounds_;
  const std::size_t n = upper_bounds_.size() + 1;
  std::vector<std::uint64_t> per_bucket(n, 0);
  for (const auto& shard : shards_) {
    for (std::size_t i = 0; i < n; ++i) {
      per_bucket[i] += shard.buckets[i].load(std::memory_order_relaxed);
    }
    snap.sum += shard.sum.load(std::memory_order_relaxed);
  }
  snap.cumulative.resize(n);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < n; ++i) {
    running += per_bucket[i];
    snap.cumulative[i] = running;
  }
  snap.count = running;
  return snap;
}

// ---------------------------------------------------------------------------------------------
// Family

namespace {

template <typename A, typename B>
bool lexicographic_less(const A& a, const B& b) {
  return std::lexicographical_compare(
      a.begin(), a.end(), b.begin(), b.end(),
      [](std::string_view x, std::string_view y) { return x < y; });
}

}  // namespace

template <typename Metric>
bool Family<Metric>::KeyLess::operator()(const std::vector<std::string>& a,
                                         const std::vector<std::string>& b) const {
  return lexicographic_less(a, b);
}

template <typename Metric>
bool Family<Metric>::KeyLess::operator()(const std::vector<std::string>& a,
                                         std::span<const std::string_view> b) const {
  return lexicographic_less(a, b);
}

template <typename Metric>
bool Family<Metric>::KeyLess::operator()(std::span<const std::string_view> a,
                                         const std::vector<std::string>& b) const {
  return lexicographic_less(a, b);
}

template <typename Metric>
Family<Metric>::Family(std::vector<std::string> label_names, std::size_t max_series,
                       Factory factory)
    : label_names_(std::move(label_names)),
      max_series_(std::max<std::size_t>(max_series, 1)),
      factory_(std::move(factory)) {}

template <typename Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> label_values) {
  return with(std::span<const std::string_view>(label_values.begin(), label_values.size()));
}

template <typename Metric>
Metric& Family<Metric>::with(std::span<const std::string_view> label_values) {
  const bool arity_ok = label_values.size() == label_names_.size();
  assert(arity_ok && "label values do not match the family's label names");
  Shard& shard = shards_[detail::this_thread_shard()];
  if (arity_ok) {
    std::lock_guard lock(shard.mutex);
    if (auto it = shard.index.find(label_values); it != shard.index.end()) {
      return *it->second;
    }
  }
  Metric* child = nullptr;
  bool cacheable = false;
  {
    std::lock_guard lock(mutex_);
    if (arity_ok) {
      if (auto it = children_.find(label_values); it != children_.end()) {
        child = it->second.get();
        cacheable = true;
      } else if (children_.size() < max_series_) {
        std::vector<std::string> key(label_values.begin(), label_values.end());
        auto [inserted, ok] = children_.emplace(std::move(key), factory_());
        child = inserted->second.get();
        cacheable = true;
      }
    }
    if (child == nullptr) {
      if (overflow_ == nullptr) {
        std::vector<std::string> key(label_names_.size(), "overflow");
        auto& slot = children_[std::move(key)];
        if (!slot) {
          slot = factory_();
        }
        overflow_ = slot.get();
      }
      child = overflow_;
    }
  }
  if (cacheable) {
    std::lock_guard lock(shard.mutex);
    shard.index.emplace(std::vector<std::string>(label_values.begin(), label_values.end()), child);
  }
  return *child;
}

template <typename Metric>
void Family<Metric>::for_each(
    const std::function<void(const std::vector<std::string>&, const Metric&)>& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& [labels, metric] : children_) {
    visit(labels, *metric);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---------------------------------------------------------------------------------------------
// Text format helpers

namespace {

// The text format's escapes: backslash and newline everywhere, and '"' too in a label value.
std::string escape_text(std::string_view text, bool escape_quote) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (escape_quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string escape_help(std::string_view help) { return escape_text(help, false); }

std::string escape_label_value(std::string_view value) { return escape_text(value, true); }

std::string format_value(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  // Integral values within the exactly representable range print without a fraction or
  // exponent ("3", not "3e+00"), like the reference clients.
  constexpr double kExactLimit = 9007199254740992.0;  // 2^53
  if (v == std::trunc(v) && std::fabs(v) < kExactLimit) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  std::array<char, 64> buffer{};  // any shortest double fits
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
  if (ec != std::errc{}) {
    return "NaN";  // unreachable: 64 bytes hold any shortest double
  }
  return {buffer.data(), end};
}

namespace {

bool valid_metric_name(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) {
      return false;
    }
  }
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) {
      return false;
    }
  }
  return true;
}

// `{a="x",b="y"}` (with an optional extra label appended, for `le`), or "" with no labels.
std::string label_block(const std::vector<std::string>& names,
                        const std::vector<std::string>& values, std::string_view extra_name = {},
                        std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) {
    return {};
  }
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) {
      out += ',';
    }
    out += extra_name;
    out += "=\"";
    out += escape_label_value(extra_value);
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Registry

struct CallbackMetric {
  Registry::CallbackType type = Registry::CallbackType::Gauge;
  std::function<double()> read;
};

struct Registry::Entry {
  std::string name;
  std::string help;
  std::variant<std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>,
               std::unique_ptr<Family<Histogram>>, std::unique_ptr<CallbackMetric>>
      family;
};

Registry::Registry() = default;

void Registry::insert(std::unique_ptr<Entry> entry) {
  std::unique_lock lock(mutex_);
  for (const auto& existing : entries_) {
    if (existing->name == entry->name) {
      throw std::invalid_argument("duplicate metric name: " + entry->name);
    }
  }
  entries_.push_back(std::move(entry));
}

template <class Metric, class MakeChild>
Family<Metric>& Registry::add_family(std::string name, std::string help,
                                     std::vector<std::string> label_names,
                                     std::size_t max_series, MakeChild make_child) {
  const bool unlabelled = label_names.empty();
  auto family =
      std::make_unique<Family<Metric>>(std::move(label_names), max_series, std::move(make_child));
  auto& ref = *family;
  insert(std::make_unique<Entry>(Entry{std::move(name), std::move(help), std::move(family)}));
  if (unlabelled) {
    ref.with({});  // an unlabelled metric shows 0 from the start
  }
  return ref;
}
Registry::~Registry() = default;

namespace {

void check_names(const std::string& name, const std::vector<std::string>& label_names,
                 bool histogram) {
  if (!valid_metric_name(name)) {
    throw std::invalid_argument("invalid metric name: " + name);
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const auto& label = label_names[i];
    if (!valid_label_name(label) || (histogram && label == "le")) {
      throw std::invalid_argument("invalid label name for " + name + ": " + label);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (label_names[j] == label) {
        throw std::invalid_argument("duplicate label name for " + name + ": " + label);
      }
    }
  }
}

}  // namespace

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> label_names, std::size_t max_series) {
  check_names(name, label_names, false);
  return add_family<Counter>(std::move(name), std::move(help), std::move(label_names), max_series,
                             [] { return std::make_unique<Counter>(); });
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> label_names, std::size_t max_series) {
  check_names(name, label_names, false);
  return add_family<Gauge>(std::move(name), std::move(help), std::move(label_names), max_series,
                           [] { return std::make_unique<Gauge>(); });
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> label_names,
                                       std::vector<double> upper_bounds, std::size_t max_series) {
  check_names(name, label_names, true);
  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i]) || (i > 0 && !(upper_bounds[i - 1] < upper_bounds[i]))) {
      throw std::invalid_argument("histogram bounds must be finite and increasing: " + name);
    }
  }
  return add_family<Histogram>(
      std::move(name), std::move(help), std::move(label_names), max_series,
      [bounds = std::move(upper_bounds)] { return std::make_unique<Histogram>(bounds); });
}

void Registry::callback(std::string name, std::string help, CallbackType type,
                        std::function<double()> read) {
  check_names(name, {}, false);
  if (!read) {
    throw std::invalid_argument("callback metric without a function: " + name);
  }
  auto metric = std::make_unique<CallbackMetric>(CallbackMetric{type, std::move(read)});
  insert(std::make_unique<Entry>(Entry{std::move(name), std::move(help), std::move(metric)}));
}

namespace {

// One sample line: `name{labels} value\n`, appended in place (render() runs on every scrape).
void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   std::string_view labels, std::string_view value) {
  out += name;
  out += suffix;
  out += labels;
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

std::string Registry::render() const {
  std::string out;
  std::shared_lock lock(mutex_);
  for (const auto& entry : entries_) {
    const std::string& name = entry->name;
    out += "# HELP ";
    out += name;
    out += ' ';
    out += escape_help(entry->help);
    out += "\n# TYPE ";
    out += name;
    if (const auto* counters = std::get_if<std::unique_ptr<Family<Counter>>>(&entry->family)) {
      out += " counter\n";
      const auto& names = (*counters)->label_names();
      (*counters)->for_each([&](const std::vector<std::string>& values, const Counter& c) {
        append_sample(out, name, "", label_block(names, values), std::to_string(c.value()));
      });
    } else if (const auto* gauges = std::get_if<std::unique_ptr<Family<Gauge>>>(&entry->family)) {
      out += " gauge\n";
      const auto& names = (*gauges)->label_names();
      (*gauges)->for_each([&](const std::vector<std::string>& values, const Gauge& g) {
        append_sample(out, name, "", label_block(names, values), format_value(g.value()));
      });
    } else if (const auto* callback =
                   std::get_if<std::unique_ptr<CallbackMetric>>(&entry->family)) {
      const auto& metric = **callback;
      out += metric.type == CallbackType::Counter ? " counter\n" : " gauge\n";
      append_sample(out, name, "", "", format_value(metric.read()));
    } else {
      const auto& histograms = std::get<std::unique_ptr<Family<Histogram>>>(entry->family);
      out += " histogram\n";
      const auto& names = histograms->label_names();
      histograms->for_each([&](const std::vector<std::string>& values, const Histogram& h) {
        const auto snap = h.snapshot();
        for (std::size_t i = 0; i <= snap.upper_bounds.size(); ++i) {
          const std::string le =
              i < snap.upper_bounds.size() ? format_value(snap.upper_bounds[i]) : "+Inf";
          append_sample(out, name, "_bucket", label_block(names, values, "le", le),
                        std::to_string(snap.cumulative[i]));
        }
        const std::string labels = label_block(names, values);
        append_sample(out, name, "_sum", labels, format_value(snap.sum));
        append_sample(out, name, "_count", labels, std::to_string(snap.count));
      });
    }
  }
  return out;
}

}  // namespace portcullis::admin
