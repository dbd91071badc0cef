// MemoryLiveState: update under a short lock, then fan out to listeners.
#include "live/memory/memory_live_state.h"

namespace fleetd {
namespace {

// What "older" means: the fix time when known, else when fleetd read it.
TimestampMs Recency(const Message& m) { return m.ts.value_or(m.received_at); }

}  // namespace

void MemoryLiveState::Update(std::span<const Envelope> batch) {
  std::lock_guard feed(feed_mu_);
  {
    std::lock_guard state(state_mu_);
    for (const Envelope& e : batch) {
      if (!e.message.has_position()) continue;
      auto& devices = by_tenant_[e.tenant_id];
      auto it = devices.find(e.message.device_uid);
      if (it == devices.end()) {
        devices.emplace(e.message.device_uid, e.message);
      } else if (Recency(e.message) >= Recency(it->second)) {
        it->second = e.message;
      }
    }
  }
  for (const Envelope& e : batch) {
    for (auto& [id, listener] : listeners_) listener(e);
  }
}

std::vector<Message> MemoryLiveState::Snapshot(int64_t tenant_id) const {
  std::lock_guard state(state_mu_);
  std::vector<Message> out;
  auto it = by_tenant_.find(tenant_id);
  if (it == by_tenant_.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [uid, message] : it->second) out.push_back(message);
  return out;
}

std::optional<Message> MemoryLiveState::Get(int64_t tenant_id, const std::string& device_uid) const {
  std::lock_guard state(state_mu_);
  auto tenant = by_tenant_.find(tenant_id);
  if (tenant == by_tenant_.end()) return std::nullopt;
  auto it = tenant->second.find(device_uid);
  if (it == tenant->second.end()) return std::nullopt;
  return it->second;
}

uint64_t MemoryLiveState::Subscribe(Listener listener) {
  std::lock_guard feed(feed_mu_);
  uint64_t id = next_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void MemoryLiveState::Unsubscribe(uint64_t id) {
  std::lock_guard feed(feed_mu_);
  listeners_.erase(id);
}

}  // namespace fleetd
