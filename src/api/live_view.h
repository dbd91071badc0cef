// What the API shows of the live state: only the tenant's registered
// devices. Live state (memory or Redis) keeps a device's last position
// after `fleetd device remove`, which runs in another process and reaches
// only the store (and a Redis live state); without this a removed truck
// stayed on every map.
//
// The registered uids are read from the store at most once per `ttl` per
// tenant: every /live request and every WebSocket snapshot needs them, and
// for a tenant of 100,000 devices that was a 100,000-row query each time.
// A device removed by another process may so stay visible for up to `ttl`;
// changes made through this API show at once (Forget).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fleetd/message.h"
#include "fleetd/status.h"
#include "fleetd/store.h"

namespace fleetd::api {

class RegisteredDevices {
 public:
  using Clock = std::chrono::steady_clock;
  // `ttl` 0: the store is asked every time. `now` empty: Clock::now (tests
  // pass their own).
  RegisteredDevices(Store& store, std::chrono::milliseconds ttl, std::function<Clock::time_point()> now = {});

  // `messages` without those whose device is not (or no longer) one of the
  // tenant's registered devices, order kept. The store's error when it
  // cannot list them (an error is not remembered: the next call asks again).
  Result<std::vector<Message>> Filter(int64_t tenant_id, std::vector<Message> messages);

  // Drops what is remembered of the tenant: this API changed its devices.
  void Forget(int64_t tenant_id);

 private:
  using Uids = std::shared_ptr<const std::unordered_set<std::string>>;
  struct Entry {
    Uids uids;
    Clock::time_point read_at;
  };
  // Remembered tenants beyond this many: the expired ones are dropped.
  static constexpr size_t kSweepAbove = 1024;

  Result<Uids> Registered(int64_t tenant_id);

  Store& store_;
  const std::chrono::milliseconds ttl_;
  const std::function<Clock::time_point()> now_;
  std::mutex mu_;
  std::unordered_map<int64_t, Entry> entries_;
};

}  // namespace fleetd::api
