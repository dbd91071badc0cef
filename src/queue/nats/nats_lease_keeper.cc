// The keeper thread of consume=auto: one per consuming NatsQueue, started by
// the first Fetch. Every lease/3 it heartbeats, counts the live workers,
// writes back the partitions the fetchers gave up, renews the rest, asks
// for partitions beyond its fair share to be given back, and claims free
// ones up to that share. Safety (one puller per partition) rests on the
// leases' compare-and-set and the fetchers' deadline, not on the balance:
// workers that disagree on the count only balance more slowly.
#include <algorithm>
#include <utility>
#include <vector>

#include "queue/nats/nats_consumer_state.h"
#include "queue/nats/nats_subjects.h"

namespace fleetd::nats {
namespace {

struct Owned {
  size_t slot;
  size_t partition;
  uint64_t epoch;
  uint64_t revision;
};

}  // namespace

void NatsConsumer::State::RunKeeper() {
  const auto period = options.lease / 3;
  const auto usable_for = options.lease - kLeaseSafety;
  const size_t n = parts.size();
  // Workers start their claims at different partitions, so they rarely race.
  const size_t offset = n == 0 ? 0 : Fnv1a32(worker_id) % n;
  size_t workers = 1;
  while (true) {
    {
      std::lock_guard lock(mu);
      if (closed) return;
    }
    (void)leases->Heartbeat();
    if (auto live = leases->LiveWorkers(); live.ok()) workers = std::max<size_t>(*live, 1);
    const size_t share = FairShare(n, workers);

    // Given back by the fetchers: write "free" (or "gone").
    std::vector<std::pair<size_t, std::pair<uint64_t, bool>>> given;
    std::vector<Owned> owned;
    {
      std::lock_guard lock(mu);
      for (size_t slot = 0; slot < n; ++slot) {
        auto& p = parts[slot];
        if (p.released) {
          given.push_back({slot, {p.revision, p.released_clean}});
          p.released = false;
        } else if (p.owned) {
          owned.push_back(Owned{slot, p.index, p.epoch, p.revision});
        }
      }
    }
    for (auto& [slot, g] : given) (void)leases->Release(parts[slot].index, g.first, g.second);

    // Renew.
    for (const Owned& o : owned) {
      const auto sent = Clock::now();
      auto rev = leases->Renew(o.partition, o.revision);
      std::vector<natsMsg*> drop;
      {
        std::lock_guard lock(mu);
        auto& p = parts[o.slot];
        if (!p.owned || p.epoch != o.epoch) continue;
        if (rev.ok()) {
          p.revision = *rev;
          p.valid_until = sent + usable_for;
        } else if (rev.status().code() == StatusCode::kAlreadyExists) {
          LoseLocked(p, drop);
        }
      }
      for (natsMsg* m : drop) natsMsg_Destroy(m);
      refill.notify_all();
    }

    // Beyond the share: ask for partitions back, those not held first.
    size_t claim_room = 0;
    {
      std::lock_guard lock(mu);
      std::vector<size_t> keep;
      for (size_t slot = 0; slot < n; ++slot) {
        if (parts[slot].owned && !parts[slot].release) keep.push_back(slot);
      }
      if (keep.size() > share) {
        std::stable_partition(keep.begin(), keep.end(), [&](size_t slot) { return parts[slot].Busy(); });
        for (size_t i = share; i < keep.size(); ++i) parts[keep[i]].release = true;
        refill.notify_all();
      } else {
        claim_room = share - keep.size();
      }
    }

    // Claim free partitions up to the share.
    for (size_t k = 0; k < n && claim_room > 0; ++k) {
      const size_t slot = (offset + k) % n;
      {
        std::lock_guard lock(mu);
        if (closed) return;
        if (parts[slot].owned || parts[slot].released) continue;
      }
      const auto sent = Clock::now();
      auto claim = leases->TryClaim(parts[slot].index);
      if (!claim.ok() || !claim->acquired) continue;
      {
        std::lock_guard lock(mu);
        auto& p = parts[slot];
        p.owned = true;
        p.clean = claim->clean;
        p.revision = claim->revision;
        p.valid_until = sent + usable_for;
        p.release = false;
        ++p.epoch;
      }
      refill.notify_all();
      --claim_room;
    }

    std::unique_lock lock(mu);
    keeper_wake.wait_for(lock, period, [&] {
      if (closed) return true;
      for (const auto& p : parts) {
        if (p.released) return true;
      }
      return false;
    });
  }
}

void NatsConsumer::State::ReleaseAtStop() {
  // Every thread has joined and Close() nak'ed the buffers: make sure the
  // naks reached the server before writing any lease "free".
  const bool flushed = natsConnection_FlushTimeout(session->connection(), 2000) == NATS_OK;
  std::vector<std::pair<size_t, std::pair<uint64_t, bool>>> give;
  {
    std::lock_guard lock(mu);
    const auto now = Clock::now();
    for (auto& p : parts) {
      if (p.released) give.push_back({p.index, {p.revision, p.released_clean}});
      if (p.owned && now < p.valid_until) give.push_back({p.index, {p.revision, flushed && !p.Busy()}});
      p.owned = false;
      p.released = false;
    }
  }
  for (auto& [partition, g] : give) (void)leases->Release(partition, g.first, g.second);
  leases->Leave();
}

}  // namespace fleetd::nats
