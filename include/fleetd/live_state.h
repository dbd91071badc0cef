// LiveState: last-known state per device, and the feed of live updates.
//
// Embedded implementation: in memory (src/live/memory). Server: Redis
// (src/live/redis), whose pub/sub also carries the feed to every API node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fleetd/message.h"
#include "fleetd/status.h"
#include "fleetd/queue.h"

namespace fleetd {

class LiveState {
 public:
  virtual ~LiveState() = default;

  // Records the batch (a message with a position replaces a device's state
  // unless it is older than what is held) and then notifies every subscriber
  // of each envelope. Thread-safe.
  virtual void Update(std::span<const Envelope> batch) = 0;

  // The latest located message of every device of the tenant.
  virtual std::vector<Message> Snapshot(int64_t tenant_id) const = 0;
  virtual std::optional<Message> Get(int64_t tenant_id, const std::string& device_uid) const = 0;

  // The latest located messages of the tenant's devices within `radius_m`
  // metres of (lat, lng), nearest first, at most `limit` of them. Distance is
  // great-circle on a sphere of radius kNearEarthRadiusM (the one Redis GEO
  // uses, so every implementation agrees); equal distances come in any order.
  // Devices whose last latitude is beyond +-kNearMaxLatitude are never found
  // (Redis GEO cannot index them; Snapshot and Get still return them).
  // Arguments outside the domain (non-finite, |lat| > kNearMaxLatitude,
  // |lng| > 180, radius_m < 0, limit 0) give an empty result: callers
  // validate first (the API answers 400). Thread-safe.
  virtual std::vector<Message> Near(int64_t tenant_id, double lat, double lng, double radius_m, size_t limit) const = 0;

  // Forgets a device's state: it was removed from the store, so Snapshot,
  // Get and Near stop returning it and a server implementation frees its
  // keys. A later Update of the device brings it back (a message still in
  // flight when it was removed). Thread-safe.
  virtual Status Forget(int64_t tenant_id, const std::string& device_uid) = 0;

  static constexpr double kNearEarthRadiusM = 6372797.560856;
  static constexpr double kNearMaxLatitude = 85.05112878;

  using Listener = std::function<void(const Envelope&)>;
  // Listener runs on the updating thread and must not block (queue and return).
  // A server implementation also calls it, one call at a time, from its own
  // feed thread for updates made through other instances (other nodes).
  // Returns an id for Unsubscribe. Thread-safe.
  // `interest` (optional; cheap, thread-safe, never blocking) says whether
  // the listener wants updates at the moment. While no listener wants them
  // an implementation may skip the work of preparing them (Redis: decoding
  // other nodes' batches, the largest cost of an API node without
  // WebSocket clients). A listener may still be called meanwhile.
  using Interest = std::function<bool()>;
  virtual uint64_t Subscribe(Listener listener, Interest interest) = 0;
  uint64_t Subscribe(Listener listener) { return Subscribe(std::move(listener), nullptr); }
  virtual void Unsubscribe(uint64_t id) = 0;
};

}  // namespace fleetd
