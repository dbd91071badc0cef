#include "listen/device_directory.h"

namespace fleetd {

Result<Device> DeviceDirectory::Resolve(const std::string& uid) {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(uid);
    if (it != cache_.end() && it->second.expires > now) return it->second.device;
  }
  auto found = store_.FindDeviceByUid(uid);
  if (found.ok()) {
    std::lock_guard lock(mu_);
    if (cache_.size() > 100000) cache_.clear();  // bound memory; entries are cheap to refetch
    cache_[uid] = Cached{*found, now + cache_ttl_};
  }
  return found;
}

void DeviceDirectory::RecordPending(const std::string& uid, const std::string& protocol,
                                    const std::string& remote, TimestampMs now) {
  PendingDevice seen;
  seen.uid = uid;
  seen.protocol = protocol;
  seen.remote_address = remote;
  seen.first_seen = now;
  seen.last_seen = now;
  seen.attempts = 1;
  (void)store_.RecordPending(seen);  // best effort: the counter still records the attempt
}

}  // namespace fleetd
