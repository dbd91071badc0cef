// NatsConsumer's shared state (private to nats_consumer.cc and
// nats_lease_keeper.cc): per-partition buffers, the hold a Delivery keeps,
// and, with consume=auto, the lease each partition is fetched under.
//
// The lease rule the fetchers follow: pull from, and hand out buffered
// messages of, a partition only while `Usable()`: owned, not being given
// back, and before `valid_until` — the last renewal's send time plus the
// lease, minus a pull's lifetime and a margin, so every pull this worker
// issued has ended before the KV server can expire the lease for another
// worker to take.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "queue/nats/nats_consumer.h"
#include "queue/nats/nats_leases.h"

namespace fleetd::nats {

using Clock = std::chrono::steady_clock;

// A pull request's lifetime: JetStream delivers messages on it as they
// arrive (up to its batch), then ends it. Bounds how long a stopping or
// releasing fetcher waits for its live pull, not the delivery latency.
constexpr int64_t kPullLifetimeMs = 500;
// A lease stops being used this long before it could expire on the server.
constexpr auto kLeaseSafety = std::chrono::milliseconds(kPullLifetimeMs + 250);

// One JetStream message: one envelope, or several of the partition's.
struct ConsumerItem {
  std::vector<Envelope> envelopes;
  natsMsg* msg = nullptr;
  uint64_t seq = 0;
};

struct ConsumerPartition {
  size_t index = 0;  // partition number (subject suffix)
  natsSubscription* inbox = nullptr;  // where this partition's pull requests are answered: <inbox_prefix>.<pull id>
  std::string inbox_prefix;
  std::string next_subject;  // $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>
  bool ack_all = false;  // the consumer's ack policy is AckAll (set at open, then fixed)
  std::deque<ConsumerItem> buffer;
  std::unordered_set<uint64_t> seqs;  // stream sequences buffered or in a delivery
  bool held = false;
  int finishing = 0;  // deliveries past Stored(), not yet acked
  // A delivery holds it, or one's acks are still on their way: the lease
  // is not given back meanwhile (the next holder would get redeliveries).
  bool Busy() const { return held || finishing > 0; }

  // Lease (static modes: owned for good, valid forever, epoch 1).
  bool owned = false;
  bool clean = false;     // taken after a clean release: nothing to wait out
  uint64_t epoch = 0;     // +1 per acquisition
  uint64_t revision = 0;  // of the lease key, for the next renewal
  Clock::time_point valid_until{};
  bool release = false;        // the keeper asks the fetcher to give it back once not held
  bool released = false;       // the fetcher gave it back; the keeper writes the lease
  bool released_clean = false; // ... as "free" (buffer nak'ed and flushed) or "gone"

  bool Usable(Clock::time_point now) const { return owned && !release && now < valid_until; }
};

struct NatsConsumer::State {
  std::shared_ptr<NatsSession> session;
  NatsQueueOptions options;
  std::mutex mu;
  std::condition_variable ready;   // Fetch waiters: a partition has messages and is free
  std::condition_variable refill;  // fetchers: a buffer emptied, a lease changed, or closing
  std::condition_variable keeper_wake;  // the keeper: a partition was given back, or closing
  std::vector<ConsumerPartition> parts;  // static modes: the consumed partitions; auto: all
  size_t next = 0;                       // where the next Fetch starts looking (fairness)
  bool closed = false;
  bool started = false;
  std::vector<std::thread> threads;
  std::thread keeper;
  std::unique_ptr<LeaseTable> leases;  // consume=auto only
  std::string worker_id;               // consume=auto only
  std::atomic<uint64_t> poison{0};
  std::atomic<uint64_t> ack_errors{0};
  // Confirmed acks: the last ack of each partition of a delivery asks
  // JetStream for a reply on this inbox, all at once, then the replies are
  // awaited together (one round trip, not one per partition).
  std::mutex ack_mu;
  natsSubscription* ack_replies = nullptr;  // owned by the session
  std::string ack_inbox;                    // replies go to <ack_inbox>.<n>
  uint64_t ack_round = 0;
  // Sends the acks of `groups` (their natsMsgs, in stream order) and waits
  // until JetStream confirmed the last of each; false on a timeout or error.
  // `ack_all`: per group, whether one ack of the last message covers all.
  bool AckAndConfirm(const std::vector<std::pair<const std::vector<natsMsg*>*, bool>>& groups);
  std::atomic<uint64_t> leases_lost{0};

  bool HasAvailable() const {
    const auto now = Clock::now();
    for (const auto& p : parts) {
      if (!p.held && !p.buffer.empty() && p.Usable(now)) return true;
    }
    return false;
  }
  // With mu held: the lease is gone; buffered messages go to `drop` (to be
  // destroyed without an ack: JetStream redelivers them after ack_wait).
  void LoseLocked(ConsumerPartition& part, std::vector<natsMsg*>& drop);

  class Fetcher;  // nats_consumer.cc: one partition's pulls
  void RunFetcher(size_t slot);
  void WaitForOrphans(size_t slot, uint64_t epoch);
  void Take(size_t slot, uint64_t epoch, std::vector<natsMsg*>& msgs);
  // Answers a JetStream message ("+ACK", "-NAK", "+TERM") on its ack
  // subject. Messages come from plain inbox subscriptions, which the
  // library's natsMsg_Ack & co. do not accept.
  bool Respond(natsMsg* msg, const char* body) const;
  void RunKeeper();       // nats_lease_keeper.cc
  void ReleaseAtStop();   // nats_lease_keeper.cc: after every thread joined
};

}  // namespace fleetd::nats
