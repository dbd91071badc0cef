// The messages the Store contract suite and the store tests write: a fixed
// base time and a located GT06 position. Apart from store_contract.h because
// that header defines tests, so only one translation unit of a binary may
// include it; this one any may.
#pragma once

#include <string>
#include <utility>

#include "fleetd/queue.h"
#include "fleetd/store.h"

namespace fleetd::contract {

// 2026-05-21T00:00:00Z: a fixed base so tests do not depend on the clock.
constexpr TimestampMs kBaseTs = 1779321600000;

inline Message PositionMessage(const std::string& uid, TimestampMs ts, double lat = 23.8103,
                               double lng = 90.4125) {
  Message m;
  m.device_uid = uid;
  m.protocol = "gt06";
  m.kind = MessageKind::kPosition;
  m.ts = ts;
  m.received_at = ts + 1500;
  m.valid = true;
  m.lat = lat;
  m.lng = lng;
  m.speed_kmh = 42.5;
  m.heading = 181.25;
  m.satellites = 9;
  m.ignition = true;
  return m;
}

inline Envelope EnvelopeFor(const Device& d, Message m) { return Envelope{d.tenant_id, d.id, std::move(m)}; }

}  // namespace fleetd::contract
