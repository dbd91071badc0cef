// RedisLiveState: the server LiveState. Every fleetd instance (process
// workers writing, API nodes reading) shares one Redis 7, so an API node that
// starts cold serves the whole fleet at once, and every node's listeners see
// every node's updates.
//
// Keys (the tenant id in braces is a Redis Cluster hash tag: all of one
// tenant's keys live in one slot, as the update script needs):
//   <prefix>:{<tenant>}:dev:<uid>  hash: json = schema-v1 message JSON,
//                                  fix_ms = its recency (ts, else received_at)
//   <prefix>:{<tenant>}:devs       set of the uids that have state (Snapshot)
//   <prefix>:{<tenant>}:geo        GEO index of their positions (Near)
//   <prefix>:live:db<db>           pub/sub channel of the live feed
//                                  (channels are not per database)
//
// Newer wins atomically: located messages are applied by a Lua script
// (EVALSHA) that compares each one's fix_ms with the held one and writes only
// if it is not older, so two workers racing, or a late out-of-order message,
// never replace a newer fix; a read-then-write from C++ could interleave with
// another writer between the read and the write. A batch is one pipeline:
// one EVALSHA per tenant (and per 128 messages) of the batch, then one
// PUBLISH of the whole batch (one per 65535 envelopes) in the binary form of
// live_feed_codec.h.
//
// The feed: Update() delivers the batch to this instance's listeners itself,
// synchronously, after the write — and also publishes it. The subscriber
// thread delivers batches published by other instances and skips this
// instance's own (recognized by the origin id in the payload), so a listener
// sees every update exactly once whichever node made it: its own node's in
// order, on the updating thread; other nodes' on the subscriber thread.
// An envelope that the binary feed cannot carry (a device uid or attribute
// key over 65535 bytes) reaches only this instance's listeners, and its
// batch counts as an update failure.
//
// Redis outages: Update() has no way to return an error. A batch whose write
// fails is counted (stats().update_failures) and is lost from Redis — the
// durable store still has it, and the device's next message restores its
// state — while local listeners still receive it. Reads during an outage
// return empty results (counted in read_failures). Connections come back by
// themselves once Redis answers again (backoff up to 2 s); pub/sub messages
// published while a subscriber is disconnected are not delivered to it.
//
// Locking, as in MemoryLiveState: `feed_mu_` serializes the fan-outs (of
// Update() and of the subscriber) and is held while listeners run, so once
// Unsubscribe() returns its listener never runs again; a listener must not
// call Subscribe/Unsubscribe/Update (deadlock); Get/Snapshot/Near are fine
// (they use their own connection under `read_mu_`). `write_mu_` serializes
// the writes and is handed over to `feed_mu_`, so listeners see batches in
// the order they were written, yet a Redis that hangs blocks only Update()
// callers (up to command_timeout), never Subscribe/Unsubscribe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fleetd/live_state.h"
#include "fleetd/status.h"
#include "live/redis/redis_connection.h"
#include "live/redis/redis_subscriber.h"
#include "live/redis/redis_url.h"

namespace fleetd {

struct RedisLiveStateOptions {
  RedisEndpoint endpoint;
  // 1-64 characters of A-Z a-z 0-9 - _ . : — separates deployments (and
  // tests) sharing one Redis database.
  std::string key_prefix = "fleetd";
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{1000};  // per socket read/write
  // Subscribe to the live feed, so local listeners get every instance's
  // updates. false: reads and writes only (an admin command that forgets
  // one device needs no subscriber thread, nor to wait for it).
  bool subscribe = true;
};

struct RedisLiveStateStats {
  uint64_t update_failures = 0;  // batches not (or not wholly) written to Redis or published
  uint64_t read_failures = 0;    // Get/Snapshot/Near calls answered empty because Redis failed
  uint64_t published = 0;        // payloads published on the channel (one per batch of up to 65535)
  uint64_t received = 0;         // other instances' payloads delivered to listeners
  uint64_t skipped = 0;          // other instances' payloads not decoded: no listener interested
  uint64_t bad_payloads = 0;     // channel messages that were not a valid live batch
  uint64_t reconnects = 0;       // of the write, read and subscriber connections
};

class RedisLiveState final : public LiveState {
 public:
  // Connects (write, read and subscriber connections), checks the server is
  // Redis >= 6.2 (GEOSEARCH), loads the update script and (with
  // options.subscribe) waits until the subscription is confirmed, so no
  // update published after Open() returns is missed. kInvalidArgument for bad options, kIoError naming the server
  // when it is unreachable or not a usable Redis.
  // Sets SIGPIPE to ignored if it still has its default action (hiredis
  // writes to sockets without MSG_NOSIGNAL).
  static Result<std::unique_ptr<RedisLiveState>> Open(const RedisLiveStateOptions& options);
  ~RedisLiveState() override;
  RedisLiveState(const RedisLiveState&) = delete;
  RedisLiveState& operator=(const RedisLiveState&) = delete;

  // Newer-wins write of the located messages and a publish of the whole
  // batch, in one pipeline; then every local listener gets every envelope
  // (also when Redis failed: see the file comment). Equal recency replaces.
  void Update(std::span<const Envelope> batch) override;

  // Sorted by device uid. Stored messages that no longer parse are skipped.
  std::vector<Message> Snapshot(int64_t tenant_id) const override;
  std::optional<Message> Get(int64_t tenant_id, const std::string& device_uid) const override;
  // GEOSEARCH ... FROMLONLAT ... BYRADIUS ... ASC COUNT, then the messages.
  // Positions are as Redis GEO stores them (52-bit geohash, ~0.6 m).
  std::vector<Message> Near(int64_t tenant_id, double lat, double lng, double radius_m, size_t limit) const override;
  // The device's hash, its devices-set member and its GEO member, in one
  // transaction (MULTI/EXEC): a reader never sees it half forgotten.
  Status Forget(int64_t tenant_id, const std::string& device_uid) override;

  using LiveState::Subscribe;
  // Other nodes' batches are decoded only while some listener has no
  // `interest` or its interest says yes; skipped batches are counted.
  uint64_t Subscribe(Listener listener, Interest interest) override;
  // Unknown ids are ignored. Must not be called from inside a listener.
  void Unsubscribe(uint64_t id) override;

  RedisLiveStateStats stats() const;
  // True while the feed subscription is up (tests wait on it after an outage).
  bool WaitSubscribed(std::chrono::milliseconds timeout) {
    return subscriber_ != nullptr && subscriber_->WaitSubscribed(timeout);
  }

 private:
  explicit RedisLiveState(const RedisLiveStateOptions& options);
  Status LoadScript(RedisConnection& conn);
  // The EVALSHA commands (sha left empty) that apply the batch's located messages.
  std::vector<RedisCommand> WriteCommands(std::span<const Envelope> batch) const;
  void OnPublished(std::string_view payload);
  void FanOut(std::span<const Envelope> batch);
  bool AnyoneInterested() const;
  // HGET json of each uid, in order; messages that are gone or unparsable are skipped.
  std::vector<Message> Fetch(int64_t tenant_id, const std::vector<std::string>& uids) const;
  void CountReadFailure() const;

  std::string DeviceKey(int64_t tenant_id, std::string_view uid) const;
  std::string DevicesKey(int64_t tenant_id) const;
  std::string GeoKey(int64_t tenant_id) const;

  const RedisLiveStateOptions options_;
  const std::string channel_;
  const std::string origin_;  // random id of this instance, in every batch it publishes
  std::string script_sha_;    // set by LoadScript on the write connection

  std::mutex write_mu_;  // taken before feed_mu_, released once feed_mu_ is held
  RedisConnection write_;

  mutable std::mutex feed_mu_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Listener> listeners_;  // by id: called in subscription order
  std::map<uint64_t, Interest> interests_;  // by id; none = always interested

  mutable std::mutex read_mu_;
  mutable RedisConnection read_;

  mutable std::atomic<uint64_t> update_failures_{0};
  mutable std::atomic<uint64_t> read_failures_{0};
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> bad_payloads_{0};

  std::unique_ptr<RedisSubscriber> subscriber_;  // last: stopped first, it calls into the rest
};

}  // namespace fleetd
