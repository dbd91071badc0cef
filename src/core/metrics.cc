#include "core/metrics.h"

#include <sstream>

namespace fleetd {

std::string Metrics::RenderLabels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k;
    out += "=\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += "\"";
  }
  out += "}";
  return out;
}

Counter& Metrics::GetCounter(const std::string& name, const Labels& labels, const std::string& help) {
  std::string key = RenderLabels(labels);
  std::lock_guard lock(mu_);
  Family& family = counters_[name];
  if (family.help.empty()) family.help = help;
  auto& slot = family.by_labels[key];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

void Metrics::AddGauge(const std::string& name, std::function<double()> read, const std::string& help) {
  std::lock_guard lock(mu_);
  gauges_[name] = {help, std::move(read)};
}

int64_t Metrics::CounterValue(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = counters_.find(name);
  if (it == counters_.end()) return 0;
  auto c = it->second.by_labels.find(RenderLabels(labels));
  return c == it->second.by_labels.end() ? 0 : c->second->value();
}

int64_t Metrics::CounterTotal(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = counters_.find(name);
  if (it == counters_.end()) return 0;
  int64_t total = 0;
  for (const auto& [_, c] : it->second.by_labels) total += c->value();
  return total;
}

std::string Metrics::RenderPrometheus() const {
  std::ostringstream out;
  std::lock_guard lock(mu_);
  for (const auto& [name, family] : counters_) {
    if (!family.help.empty()) out << "# HELP " << name << " " << family.help << "\n";
    out << "# TYPE " << name << " counter\n";
    for (const auto& [labels, c] : family.by_labels) out << name << labels << " " << c->value() << "\n";
  }
  for (const auto& [name, gauge] : gauges_) {
    if (!gauge.first.empty()) out << "# HELP " << name << " " << gauge.first << "\n";
    out << "# TYPE " << name << " gauge\n" << name << " " << gauge.second() << "\n";
  }
  return out.str();
}

}  // namespace fleetd
