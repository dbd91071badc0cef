// LeaseTable: the NATS KV bucket through which every `fleetd process` copy
// (every NatsQueue that fetches with consume=auto) shares the partitions of
// one stream and durable, so that a partition is pulled by one worker at a
// time (JetStream 2.9 cannot make a pull consumer exclusive, and two workers
// pulling one partition would interleave a device's messages).
//
// Bucket "<stream>_<durable>_leases", TTL = the lease time: a key not
// written for that long disappears, which is how a dead worker's leases and
// heartbeat go away.
//   p.<N>   the lease on partition N: the holder's worker id, or "free"
//           (given back cleanly: nothing of it left un-acked or buffered,
//           so the next holder may pull at once), or "gone" (given back
//           with messages possibly un-acked: the next holder waits them out).
//   w.<id>  a worker's heartbeat; the live workers are these keys.
// Every write of a lease is a compare-and-set on the revision the writer
// last saw, so a worker whose lease expired and was taken learns it on its
// next renewal instead of overwriting the new holder.
//
// Not thread-safe: one keeper thread per worker uses it.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "fleetd/status.h"
#include "queue/nats/nats_queue_options.h"
#include "queue/nats/nats_session.h"

namespace fleetd::nats {

// "<16 hex digits> <host> <pid>": random per start, host and pid for logs.
std::string NewWorkerId();

// ceil(partitions / workers), workers counted at least 1.
size_t FairShare(size_t partitions, size_t workers);

// "<stream>_<durable>_leases".
std::string LeaseBucketName(const NatsQueueOptions& options);

class LeaseTable {
 public:
  // Creates the bucket (TTL = options.lease) or binds the existing one.
  // kInvalidArgument when it exists with another TTL (every worker must use
  // the same lease time); kIoError when JetStream cannot be reached.
  static Result<std::unique_ptr<LeaseTable>> Open(std::shared_ptr<NatsSession> session,
                                                  const NatsQueueOptions& options, std::string worker_id);
  ~LeaseTable();
  LeaseTable(const LeaseTable&) = delete;
  LeaseTable& operator=(const LeaseTable&) = delete;

  const std::string& worker_id() const { return worker_id_; }

  // Writes this worker's heartbeat.
  Status Heartbeat();
  // Removes the heartbeat (a clean stop).
  void Leave();
  // Number of heartbeats in the bucket (this worker's included).
  Result<size_t> LiveWorkers();

  struct Claim {
    bool acquired = false;
    bool clean = false;     // the previous holder released it with nothing pending
    uint64_t revision = 0;  // for the next Renew
  };
  // Takes partition p if nobody holds it (absent, expired, "free" or
  // "gone"). acquired=false when another worker holds it.
  Result<Claim> TryClaim(size_t partition);
  // Rewrites the lease at `revision`; the new revision, or kAlreadyExists
  // when the lease is no longer ours (another revision: it expired and was
  // taken, or was never ours).
  // Other errors (timeouts, disconnects) mean "unknown": keep the old
  // deadline and stop pulling when it passes.
  Result<uint64_t> Renew(size_t partition, uint64_t revision);
  // Gives the lease back as "free" (clean) or "gone", if still ours.
  Status Release(size_t partition, uint64_t revision, bool clean);

  // Reads partition p's lease value ("" when absent). For tests and logs.
  Result<std::string> Holder(size_t partition);

 private:
  LeaseTable() = default;
  std::shared_ptr<NatsSession> session_;
  std::string worker_id_;
  std::string heartbeat_key_;
  jsCtx* js_ = nullptr;  // own context: KV calls time out after lease/3, not the queue's 5 s
  kvStore* kv_ = nullptr;
};

}  // namespace fleetd::nats
