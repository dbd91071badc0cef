// LiveHub: fans LiveState updates out to WebSocket sessions.
//
// It subscribes to LiveState once. The listener runs on the consumer thread
// and must not block, so it only matches sessions (tenant + vehicle filter),
// serializes the update once, and hands the shared text to each matching
// sink, whose Deliver() queues it on the session's own strand. A slow
// session never slows ingestion: its sink drops it instead (see
// websocket_session.h). Beast-free, so it is unit-tested with fake sinks.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/stream_messages.h"
#include "core/metrics.h"
#include "fleetd/live_state.h"

namespace fleetd::api {

// One subscriber of the feed (a WebSocket session).
class LiveSink {
 public:
  virtual ~LiveSink() = default;
  // One update's identity, for a sink that conflates a slow client's queue.
  struct Update {
    const std::string& device_uid;
    TimestampMs recency;  // fix time, else receive time
    // A plain located position: a newer one of the same vehicle may replace
    // it, and it may be dropped when older than a queued one. Alarms,
    // heartbeats and status updates are never replaced nor dropped.
    bool replaceable;
  };
  // Queues one serialized update (the client wants the newest position, not
  // a backlog). Called from any thread, must not block.
  virtual void Deliver(const Update& update, std::shared_ptr<const std::string> text) = 0;
  // Asks the sink to close (server shutdown). Any thread, must not block.
  virtual void Close() = 0;
};

class LiveHub {
 public:
  LiveHub(LiveState& live, Metrics& metrics);
  ~LiveHub();  // Stop()s
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  // Subscribes to LiveState. Idempotent.
  void Start();
  // Unsubscribes, then calls Close() on every sink and forgets them all.
  // Later Add() calls return nullopt.
  void Stop();

  // Registers a sink for a tenant's feed, with no vehicle filter. The hub
  // keeps only a weak reference. nullopt after Stop(). Thread-safe.
  std::optional<uint64_t> Add(int64_t tenant_id, std::weak_ptr<LiveSink> sink);
  // Forgets a sink; unknown ids are ignored. Thread-safe.
  void Remove(uint64_t id);
  // Narrows (or widens, with nullopt) what a sink receives. Thread-safe.
  void SetFilter(uint64_t id, VehicleFilter filter);

  size_t size() const;

  // The listener body, public so tests can drive it without a LiveState.
  void OnUpdate(const Envelope& envelope);

 private:
  struct Entry {
    int64_t tenant_id = 0;
    std::shared_ptr<const VehicleFilter> filter;  // null = everything
    std::weak_ptr<LiveSink> sink;
  };

  LiveState& live_;
  Counter& updates_sent_;
  mutable std::mutex mu_;
  bool stopped_ = false;
  std::optional<uint64_t> subscription_;
  uint64_t next_id_ = 1;
  std::map<int64_t, std::map<uint64_t, Entry>> by_tenant_;
  std::map<uint64_t, int64_t> tenant_of_;
  std::shared_ptr<std::atomic<int64_t>> sessions_gauge_;
};

}  // namespace fleetd::api
