// Token buckets keyed by string, pruned when the table is full.
#include "api/rate_limiter.h"

#include <algorithm>

namespace fleetd::api {

RateLimiter::RateLimiter(double burst, double per_second, size_t max_keys)
    : burst_(burst), per_ms_(per_second / 1000.0), max_keys_(max_keys) {}

double RateLimiter::Refilled(const Bucket& bucket, TimestampMs now) const {
  double elapsed = static_cast<double>(std::max<TimestampMs>(0, now - bucket.updated));
  return std::min(burst_, bucket.tokens + elapsed * per_ms_);
}

bool RateLimiter::Allow(const std::string& key, TimestampMs now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      std::erase_if(buckets_, [&](const auto& kv) { return Refilled(kv.second, now) >= burst_; });
      if (buckets_.size() >= max_keys_) return false;
    }
    it = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = Refilled(b, now);
  b.updated = std::max(b.updated, now);
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace fleetd::api
