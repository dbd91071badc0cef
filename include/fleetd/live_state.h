// LiveState: last-known state per device, and the feed of live updates.
//
// Embedded implementation: in memory (src/live/memory). Server: Redis (later),
// whose pub/sub also carries the feed to every API node.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fleetd/message.h"
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

  using Listener = std::function<void(const Envelope&)>;
  // Listener runs on the updating thread and must not block (queue and return).
  // Returns an id for Unsubscribe. Thread-safe.
  virtual uint64_t Subscribe(Listener listener) = 0;
  virtual void Unsubscribe(uint64_t id) = 0;
};

}  // namespace fleetd
