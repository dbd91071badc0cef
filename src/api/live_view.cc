// See live_view.h.
#include "api/live_view.h"

#include <algorithm>
#include <utility>

namespace fleetd::api {

RegisteredDevices::RegisteredDevices(Store& store, std::chrono::milliseconds ttl,
                                     std::function<Clock::time_point()> now)
    : store_(store), ttl_(ttl), now_(now ? std::move(now) : [] { return Clock::now(); }) {}

Result<RegisteredDevices::Uids> RegisteredDevices::Registered(int64_t tenant_id) {
  const auto now = now_();
  if (ttl_.count() > 0) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(tenant_id);
    if (it != entries_.end() && now - it->second.read_at < ttl_) return it->second.uids;
  }
  // Read without the lock: a slow store must not hold up other tenants.
  // Two requests of one tenant may both read; the later result is kept.
  auto devices = store_.ListDevices(tenant_id);
  if (!devices.ok()) return devices.status();
  auto uids = std::make_shared<std::unordered_set<std::string>>();
  uids->reserve(devices->size());
  for (Device& d : *devices) uids->insert(std::move(d.uid));
  if (ttl_.count() > 0) {
    std::lock_guard lock(mu_);
    if (entries_.size() > kSweepAbove) {
      std::erase_if(entries_, [&](const auto& item) { return now - item.second.read_at >= ttl_; });
    }
    entries_.insert_or_assign(tenant_id, Entry{uids, now});
  }
  return Uids(std::move(uids));
}

Result<std::vector<Message>> RegisteredDevices::Filter(int64_t tenant_id, std::vector<Message> messages) {
  if (messages.empty()) return messages;
  auto registered = Registered(tenant_id);
  if (!registered.ok()) return registered.status();
  const auto& uids = **registered;
  std::erase_if(messages, [&](const Message& m) { return !uids.contains(m.device_uid); });
  return messages;
}

void RegisteredDevices::Forget(int64_t tenant_id) {
  std::lock_guard lock(mu_);
  entries_.erase(tenant_id);
}

}  // namespace fleetd::api
