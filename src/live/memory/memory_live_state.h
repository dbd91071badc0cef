// MemoryLiveState: the embedded LiveState — last located message per
// (tenant, device uid) in a map, and an in-process listener list as the live
// feed (the server deployment uses Redis and its pub/sub instead).
//
// Locking: `state_mu_` guards the map and is held only briefly, never while a
// listener runs. `feed_mu_` serializes Update() calls and listener
// (un)registration, and is held while listeners run. That gives two
// guarantees: listeners see envelopes in the order the state changed, and
// once Unsubscribe() returns its listener is not running and never runs
// again (so a WebSocket session may capture `this`). The price: a listener
// must not call Subscribe/Unsubscribe/Update (deadlock); Get/Snapshot are fine.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleetd/live_state.h"

namespace fleetd {

class MemoryLiveState final : public LiveState {
 public:
  MemoryLiveState() = default;
  MemoryLiveState(const MemoryLiveState&) = delete;
  MemoryLiveState& operator=(const MemoryLiveState&) = delete;

  // A located message replaces the held one unless it is older (by ts, or
  // received_at when it has no ts); equal times replace (the later arrival
  // wins). Messages without a position never change state but are still sent
  // to every listener, once per envelope, in batch order.
  void Update(std::span<const Envelope> batch) override;

  // Sorted by device uid.
  std::vector<Message> Snapshot(int64_t tenant_id) const override;
  std::optional<Message> Get(int64_t tenant_id, const std::string& device_uid) const override;
  // A scan of the tenant's devices with the haversine formula: O(devices of
  // the tenant) per call, fine for an embedded fleet. Equal distances are
  // ordered by device uid.
  std::vector<Message> Near(int64_t tenant_id, double lat, double lng, double radius_m, size_t limit) const override;
  Status Forget(int64_t tenant_id, const std::string& device_uid) override;

  using LiveState::Subscribe;
  // In-process: there is nothing to skip, so `interest` is not consulted.
  uint64_t Subscribe(Listener listener, Interest interest) override;
  // Unknown ids are ignored. Must not be called from inside a listener.
  void Unsubscribe(uint64_t id) override;

 private:
  mutable std::mutex state_mu_;
  std::unordered_map<int64_t, std::map<std::string, Message, std::less<>>> by_tenant_;

  std::mutex feed_mu_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Listener> listeners_;  // by id: called in subscription order
};

}  // namespace fleetd
