// See live_hub.h. The lock is never held while calling into a sink.
#include "api/live_hub.h"

#include <vector>

namespace fleetd::api {

LiveHub::LiveHub(LiveState& live, Metrics& metrics)
    : live_(live),
      updates_sent_(metrics.GetCounter("fleetd_ws_updates_total", {},
                                       "telemetry_update messages handed to WebSocket sessions")),
      sessions_gauge_(std::make_shared<std::atomic<int64_t>>(0)) {
  auto gauge = sessions_gauge_;
  metrics.AddGauge(
      "fleetd_ws_sessions", [gauge] { return static_cast<double>(gauge->load()); },
      "open WebSocket feed sessions");
}

LiveHub::~LiveHub() { Stop(); }

void LiveHub::Start() {
  std::lock_guard lock(mu_);
  if (subscription_ || stopped_) return;
  // Interested only while a session is open: an API node without WebSocket
  // clients (and every ingest or process node) then skips decoding the
  // other nodes' live batches. A session that opens meanwhile misses
  // nothing: it reads its snapshot after registering, and a batch's state
  // is written before its batch is published.
  subscription_ = live_.Subscribe([this](const Envelope& e) { OnUpdate(e); },
                                  [gauge = sessions_gauge_] { return gauge->load(std::memory_order_relaxed) > 0; });
}

void LiveHub::Stop() {
  std::optional<uint64_t> subscription;
  std::vector<std::shared_ptr<LiveSink>> sinks;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    subscription.swap(subscription_);
    for (auto& [tenant, entries] : by_tenant_) {
      for (auto& [id, entry] : entries) {
        if (auto sink = entry.sink.lock()) sinks.push_back(std::move(sink));
      }
    }
    by_tenant_.clear();
    tenant_of_.clear();
    sessions_gauge_->store(0);
  }
  // Outside the lock: Unsubscribe may wait for a running listener.
  if (subscription) live_.Unsubscribe(*subscription);
  for (auto& sink : sinks) sink->Close();
}

std::optional<uint64_t> LiveHub::Add(int64_t tenant_id, std::weak_ptr<LiveSink> sink) {
  std::lock_guard lock(mu_);
  if (stopped_) return std::nullopt;
  uint64_t id = next_id_++;
  by_tenant_[tenant_id][id] = Entry{tenant_id, nullptr, std::move(sink)};
  tenant_of_[id] = tenant_id;
  sessions_gauge_->store(static_cast<int64_t>(tenant_of_.size()));
  return id;
}

void LiveHub::Remove(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = tenant_of_.find(id);
  if (it == tenant_of_.end()) return;
  auto tenant = by_tenant_.find(it->second);
  if (tenant != by_tenant_.end()) {
    tenant->second.erase(id);
    if (tenant->second.empty()) by_tenant_.erase(tenant);
  }
  tenant_of_.erase(it);
  sessions_gauge_->store(static_cast<int64_t>(tenant_of_.size()));
}

void LiveHub::SetFilter(uint64_t id, VehicleFilter filter) {
  std::lock_guard lock(mu_);
  auto it = tenant_of_.find(id);
  if (it == tenant_of_.end()) return;
  Entry& entry = by_tenant_[it->second][id];
  entry.filter = filter ? std::make_shared<const VehicleFilter>(std::move(filter)) : nullptr;
}

size_t LiveHub::size() const {
  std::lock_guard lock(mu_);
  return tenant_of_.size();
}

void LiveHub::OnUpdate(const Envelope& envelope) {
  std::vector<std::shared_ptr<LiveSink>> targets;
  {
    std::lock_guard lock(mu_);
    auto tenant = by_tenant_.find(envelope.tenant_id);
    if (tenant == by_tenant_.end()) return;
    for (auto& [id, entry] : tenant->second) {
      if (entry.filter && !FilterAllows(*entry.filter, envelope.message.device_uid)) continue;
      if (auto sink = entry.sink.lock()) targets.push_back(std::move(sink));
    }
  }
  if (targets.empty()) return;
  auto text = std::make_shared<const std::string>(TelemetryUpdateJson(envelope.message));
  const Message& m = envelope.message;
  const LiveSink::Update update{m.device_uid, m.ts.value_or(m.received_at),
                                m.kind == MessageKind::kPosition && m.has_position() && !m.alarm};
  for (auto& sink : targets) sink->Deliver(update, text);
  updates_sent_.Add(static_cast<int64_t>(targets.size()));
}

}  // namespace fleetd::api
