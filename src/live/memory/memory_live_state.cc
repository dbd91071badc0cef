// MemoryLiveState: update under a short lock, then fan out to listeners.
#include "live/memory/memory_live_state.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

namespace fleetd {
namespace {

// What "older" means: the fix time when known, else when fleetd read it.
TimestampMs Recency(const Message& m) { return m.ts.value_or(m.received_at); }

double Radians(double degrees) { return degrees * std::numbers::pi / 180.0; }

// Great-circle distance in metres, the formula Redis GEO uses (haversine on
// a sphere of LiveState::kNearEarthRadiusM), so both implementations agree.
double DistanceM(double lat1, double lng1, double lat2, double lng2) {
  double u = std::sin((Radians(lat2) - Radians(lat1)) / 2);
  double v = std::sin((Radians(lng2) - Radians(lng1)) / 2);
  double a = u * u + std::cos(Radians(lat1)) * std::cos(Radians(lat2)) * v * v;
  return 2.0 * LiveState::kNearEarthRadiusM * std::asin(std::sqrt(std::min(1.0, a)));
}

bool NearArgumentsValid(double lat, double lng, double radius_m, size_t limit) {
  return std::isfinite(lat) && std::isfinite(lng) && std::isfinite(radius_m) &&
         std::abs(lat) <= LiveState::kNearMaxLatitude && std::abs(lng) <= 180 && radius_m >= 0 && limit > 0;
}

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

Status MemoryLiveState::Forget(int64_t tenant_id, const std::string& device_uid) {
  std::lock_guard state(state_mu_);
  auto tenant = by_tenant_.find(tenant_id);
  if (tenant == by_tenant_.end()) return Status::Ok();
  tenant->second.erase(device_uid);
  if (tenant->second.empty()) by_tenant_.erase(tenant);
  return Status::Ok();
}

std::optional<Message> MemoryLiveState::Get(int64_t tenant_id, const std::string& device_uid) const {
  std::lock_guard state(state_mu_);
  auto tenant = by_tenant_.find(tenant_id);
  if (tenant == by_tenant_.end()) return std::nullopt;
  auto it = tenant->second.find(device_uid);
  if (it == tenant->second.end()) return std::nullopt;
  return it->second;
}

std::vector<Message> MemoryLiveState::Near(int64_t tenant_id, double lat, double lng, double radius_m,
                                           size_t limit) const {
  std::vector<Message> out;
  if (!NearArgumentsValid(lat, lng, radius_m, limit)) return out;
  std::vector<std::pair<double, const Message*>> found;
  std::lock_guard state(state_mu_);
  auto tenant = by_tenant_.find(tenant_id);
  if (tenant == by_tenant_.end()) return out;
  for (const auto& [uid, message] : tenant->second) {  // uid order: ties stay sorted by uid
    double mlat = *message.lat;
    double mlng = *message.lng;
    if (!std::isfinite(mlat) || !std::isfinite(mlng) || std::abs(mlat) > kNearMaxLatitude || std::abs(mlng) > 180) {
      continue;
    }
    double d = DistanceM(lat, lng, mlat, mlng);
    if (d <= radius_m) found.emplace_back(d, &message);
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (found.size() > limit) found.resize(limit);
  out.reserve(found.size());
  for (const auto& [d, message] : found) out.push_back(*message);
  return out;
}

uint64_t MemoryLiveState::Subscribe(Listener listener, Interest) {
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
