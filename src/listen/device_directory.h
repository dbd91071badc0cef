// DeviceDirectory: which tenant owns the uid a device just announced.
//
// Listeners ask once per connection (at login), so the store is not hit per
// frame. Found devices are cached briefly; unknown uids are not cached, so a
// device an admin registers while fleetd runs is accepted on its next
// connection. Unknown uids are recorded as pending for an admin to claim.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "fleetd/store.h"

namespace fleetd {

class DeviceDirectory {
 public:
  DeviceDirectory(Store& store, std::chrono::seconds cache_ttl = std::chrono::seconds(30))
      : store_(store), cache_ttl_(cache_ttl) {}

  // The registered device, kNotFound if no tenant has it, or a store error.
  // Thread-safe; may block on the store briefly.
  Result<Device> Resolve(const std::string& uid);

  // Records an attempt by an unregistered device. Thread-safe.
  void RecordPending(const std::string& uid, const std::string& protocol, const std::string& remote,
                     TimestampMs now);

 private:
  struct Cached {
    Device device;
    std::chrono::steady_clock::time_point expires;
  };
  Store& store_;
  std::chrono::seconds cache_ttl_;
  std::mutex mu_;
  std::unordered_map<std::string, Cached> cache_;
};

}  // namespace fleetd
