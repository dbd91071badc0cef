// NatsConsumer internals: a fetcher thread per partition fills that
// partition's buffer from a live pull request, Fetch hands buffered messages
// out holding their partitions, deliveries ack or put them back. One mutex
// guards the buffers; libnats calls run without it.
#include "queue/nats/nats_consumer.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/envelope_codec.h"
#include "queue/nats/jetstream_setup.h"
#include "queue/nats/nats_consumer_state.h"
#include "queue/nats/nats_subjects.h"

namespace fleetd::nats {
namespace {

constexpr auto kErrorPause = std::chrono::milliseconds(100);
constexpr auto kRecoveryMargin = std::chrono::milliseconds(200);
// A fetcher with nothing to do re-checks its lease at least this often.
constexpr auto kIdleRecheck = std::chrono::milliseconds(250);

using Item = ConsumerItem;
using Partition = ConsumerPartition;

// The number a reply to one of our inboxes carries: its subject is
// <inbox>.<n> (an ack confirmation's round, a pull's id); 0 if none.
uint64_t ReplyNumber(natsMsg* msg) {
  const std::string_view subject = natsMsg_GetSubject(msg);
  uint64_t n = 0;
  const size_t dot = subject.rfind('.');
  if (dot != std::string_view::npos) std::from_chars(subject.data() + dot + 1, subject.data() + subject.size(), n);
  return n;
}

Result<std::string> NewInbox() {
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return Status(StatusCode::kIoError, "cannot create an inbox");
  std::string name = inbox;
  natsInbox_Destroy(inbox);
  return name;
}

}  // namespace

void NatsConsumer::State::LoseLocked(Partition& part, std::vector<natsMsg*>& drop) {
  if (part.owned) ++leases_lost;
  part.owned = false;
  part.release = false;
  for (auto& item : part.buffer) {
    part.seqs.erase(item.seq);
    drop.push_back(item.msg);
  }
  part.buffer.clear();
}

namespace {

// Items of one partition inside a delivery, in stream order.
struct Group {
  size_t slot = 0;
  size_t begin = 0, end = 0;  // range in envelopes_
  std::vector<natsMsg*> msgs;
  std::vector<uint64_t> seqs;
  std::vector<size_t> counts;  // envelopes per message
};

class NatsDelivery final : public Delivery {
 public:
  explicit NatsDelivery(std::shared_ptr<NatsConsumer::State> state) : state_(std::move(state)) {}
  ~NatsDelivery() override {
    if (!settled_) Nack();
  }

  const std::vector<Envelope>& envelopes() const override { return envelopes_; }

  // Returns once JetStream recorded every ack (or gave up: those messages
  // come back after ack_wait and are rewritten idempotently).
  void Ack() override {
    if (settled_) return;
    settled_ = true;
    std::vector<std::pair<const std::vector<natsMsg*>*, bool>> msgs;
    for (auto& g : groups_) msgs.push_back({&g.msgs, state_->parts[g.slot].ack_all});
    if (!state_->AckAndConfirm(msgs)) ++state_->ack_errors;
    Release(/*requeue=*/false);
  }

  void Nack() override {
    if (settled_) return;
    settled_ = true;
    if (stored_) {
      // Written, not acked: JetStream delivers them again (a rewrite).
      for (auto& g : groups_) {
        for (natsMsg* m : g.msgs) state_->Respond(m, "-NAK");
      }
      Release(/*requeue=*/false);
      return;
    }
    Release(/*requeue=*/true);
  }

  void Stored() override {
    if (settled_ || stored_) return;
    stored_ = true;
    {
      std::lock_guard lock(state_->mu);
      for (auto& g : groups_) {
        Partition& part = state_->parts[g.slot];
        part.held = false;
        ++part.finishing;
      }
    }
    state_->ready.notify_one();  // a Fetch that takes the freed partitions wakes the next if more is left
    state_->refill.notify_all();
  }

  size_t TakeMore(size_t max) override {
    if (settled_ || stored_ || max == 0) return 0;
    size_t taken = 0;
    {
      std::lock_guard lock(state_->mu);
      const auto now = Clock::now();
      for (size_t k = 0; k < held_.size() && taken < max; ++k) {
        Partition& part = state_->parts[held_[k]];
        if (part.buffer.empty() || !part.Usable(now)) continue;
        taken += Take(held_[k], part, max - taken);
      }
    }
    if (taken > 0) state_->refill.notify_all();  // emptied buffers: pull again
    return taken;
  }

  // Called by Fetch with the state mutex held. Takes whole messages while
  // their envelopes fit in `max` (the first one always); returns how many
  // envelopes it took.
  size_t Take(size_t slot, Partition& part, size_t max) {
    Group g;
    g.slot = slot;
    g.begin = envelopes_.size();
    size_t taken = 0;
    while (!part.buffer.empty()) {
      Item& item = part.buffer.front();
      const size_t n = item.envelopes.size();
      if (taken > 0 && taken + n > max) break;
      for (Envelope& e : item.envelopes) envelopes_.push_back(std::move(e));
      g.msgs.push_back(item.msg);
      g.seqs.push_back(item.seq);
      g.counts.push_back(n);
      taken += n;
      part.buffer.pop_front();
      if (taken >= max) break;
    }
    g.end = envelopes_.size();
    if (!part.held) held_.push_back(slot);  // a TakeMore() adds to a partition already held
    part.held = true;
    groups_.push_back(std::move(g));
    return taken;
  }

 private:
  void Release(bool requeue) {
    std::vector<natsMsg*> nak;
    std::vector<const Group*> closing_naks;
    {
      std::lock_guard lock(state_->mu);
      // Last group first: a partition's later group (TakeMore) goes back to
      // the front before its earlier one, which then precedes it.
      for (auto it = groups_.rbegin(); it != groups_.rend(); ++it) {
        Group& g = *it;
        Partition& part = state_->parts[g.slot];
        if (stored_) {
          --part.finishing;  // held was cleared by Stored(); another delivery may hold it now
        } else {
          part.held = false;
        }
        if (requeue && !state_->closed && !part.owned) {
          // The lease was lost meanwhile: not ours to give back or keep;
          // JetStream redelivers them to the new holder after ack_wait.
          for (uint64_t seq : g.seqs) part.seqs.erase(seq);
          continue;
        }
        if (requeue && !state_->closed) {
          // Back to the front in order: walk backwards, push to the front.
          size_t end = g.end;
          for (size_t i = g.msgs.size(); i-- > 0;) {
            const size_t begin = end - g.counts[i];
            Item item{{}, g.msgs[i], g.seqs[i]};
            item.envelopes.reserve(g.counts[i]);
            for (size_t k = begin; k < end; ++k) item.envelopes.push_back(std::move(envelopes_[k]));
            part.buffer.push_front(std::move(item));
            end = begin;
          }
          g.msgs.clear();
          continue;
        }
        for (uint64_t seq : g.seqs) part.seqs.erase(seq);
        if (requeue) closing_naks.push_back(&g);  // closed: hand back to JetStream
      }
    }
    for (auto it = closing_naks.rbegin(); it != closing_naks.rend(); ++it) {  // in stream order
      nak.insert(nak.end(), (*it)->msgs.begin(), (*it)->msgs.end());
    }
    state_->ready.notify_one();  // see Stored()
    state_->refill.notify_all();
    for (natsMsg* m : nak) state_->Respond(m, "-NAK");
    for (auto& g : groups_) {
      for (natsMsg* m : g.msgs) natsMsg_Destroy(m);
    }
    groups_.clear();
  }

  std::shared_ptr<NatsConsumer::State> state_;
  std::vector<Envelope> envelopes_;
  std::vector<Group> groups_;
  std::vector<size_t> held_;  // the partitions it holds, each once (groups_ may have several per partition)
  bool settled_ = false;
  bool stored_ = false;
};

}  // namespace

bool NatsConsumer::State::AckAndConfirm(const std::vector<std::pair<const std::vector<natsMsg*>*, bool>>& groups) {
  std::lock_guard lock(ack_mu);
  natsConnection* nc = session->connection();
  bool ok = true;
  const uint64_t first_round = ack_round + 1;
  size_t expected = 0;
  for (const auto& [msgs, ack_all] : groups) {
    if (msgs->empty()) continue;
    for (size_t i = 0; !ack_all && i + 1 < msgs->size(); ++i) {
      if (!Respond((*msgs)[i], "+ACK")) ok = false;
    }
    // Acks of one consumer are applied in order, so the reply to its last
    // one means all of them were recorded.
    const char* reply_to = natsMsg_GetReply(msgs->back());
    const std::string inbox = ack_inbox + "." + std::to_string(++ack_round);
    if (reply_to == nullptr || natsConnection_PublishRequestString(nc, reply_to, inbox.c_str(), "+ACK") != NATS_OK) {
      ok = false;
      continue;
    }
    ++expected;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (expected > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    natsMsg* reply = nullptr;
    if (left <= 0 || natsSubscription_NextMsg(&reply, ack_replies, left) != NATS_OK) return false;
    // A late reply to an earlier call that gave up is not one of ours.
    const uint64_t round = ReplyNumber(reply);
    const char* status = nullptr;
    const bool failed = natsMsgHeader_Get(reply, "Status", &status) == NATS_OK;
    natsMsg_Destroy(reply);
    if (round < first_round) continue;
    if (failed) ok = false;
    --expected;
  }
  return ok;
}

Result<std::unique_ptr<NatsConsumer>> NatsConsumer::Open(std::shared_ptr<NatsSession> session,
                                                         const NatsQueueOptions& options) {
  auto state = std::make_shared<State>();
  state->session = std::move(session);
  state->options = options;
  const bool leased = options.leased();
  for (size_t p : options.ConsumedPartitions()) {
    auto consumer = CheckPartitionConsumer(*state->session, options, p);
    if (!consumer.ok()) return consumer.status();
    Partition part;
    part.index = p;
    part.ack_all = consumer->ack_all;
    auto inbox = NewInbox();
    if (!inbox.ok()) return inbox.status();
    part.inbox_prefix = *inbox;
    const std::string replies = part.inbox_prefix + ".*";
    if (natsStatus s = natsConnection_SubscribeSync(&part.inbox, state->session->connection(), replies.c_str());
        s != NATS_OK) {
      return NatsError("cannot subscribe to a pull inbox", s);
    }
    state->session->Adopt(part.inbox);
    part.next_subject = "$JS.API.CONSUMER.MSG.NEXT." + options.stream + "." + ConsumerName(options.durable, p);
    if (!leased) {  // static: ours for good
      part.owned = true;
      part.epoch = 1;
      part.valid_until = Clock::time_point::max();
    }
    state->parts.push_back(std::move(part));
  }
  {
    auto inbox = NewInbox();
    if (!inbox.ok()) return inbox.status();
    state->ack_inbox = *inbox;
    natsSubscription* replies = nullptr;
    const std::string wildcard = state->ack_inbox + ".*";
    if (natsStatus s = natsConnection_SubscribeSync(&replies, state->session->connection(), wildcard.c_str());
        s != NATS_OK) {
      return NatsError("cannot subscribe to the ack inbox", s);
    }
    state->session->Adopt(replies);
    state->ack_replies = replies;
  }
  if (leased) {
    state->worker_id = NewWorkerId();
    auto leases = LeaseTable::Open(state->session, options, state->worker_id);
    if (!leases.ok()) return leases.status();
    state->leases = std::move(*leases);
  }
  return std::unique_ptr<NatsConsumer>(new NatsConsumer(std::move(state)));
}

NatsConsumer::~NatsConsumer() { Stop(); }

void NatsConsumer::Stop() {
  Close();
  for (auto& t : state_->threads) {
    if (t.joinable()) t.join();
  }
  state_->threads.clear();
  if (state_->keeper.joinable()) state_->keeper.join();
  if (state_->leases) {
    state_->ReleaseAtStop();
    state_->leases.reset();
  }
}

void NatsConsumer::State::WaitForOrphans(size_t slot, uint64_t epoch) {
  const std::string consumer = ConsumerName(options.durable, parts[slot].index);
  jsConsumerInfo* ci = nullptr;
  if (js_GetConsumerInfo(&ci, session->js(), options.stream.c_str(), consumer.c_str(), nullptr, nullptr) != NATS_OK) {
    return;  // cannot tell: pulling now only risks order, never loss
  }
  const int64_t pending = ci->NumAckPending;
  const int64_t last_ns = ci->Delivered.Last;
  jsConsumerInfo_Destroy(ci);
  if (pending <= 0) return;
  // Everything un-acked was delivered at or before last_ns; after ack_wait it
  // is all back in JetStream's redelivery queue, which pulls drain first.
  const auto ack_wait = std::chrono::duration_cast<std::chrono::nanoseconds>(options.ack_wait);
  const int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto left = std::chrono::nanoseconds(std::clamp<int64_t>(last_ns + ack_wait.count() - now_ns, 0, ack_wait.count()));
  std::unique_lock lock(mu);
  refill.wait_for(lock, left + kRecoveryMargin,
                  [&] { return closed || !parts[slot].owned || parts[slot].epoch != epoch; });
}

bool NatsConsumer::State::Respond(natsMsg* msg, const char* body) const {
  const char* ack_subject = natsMsg_GetReply(msg);
  return ack_subject != nullptr && natsConnection_PublishString(session->connection(), ack_subject, body) == NATS_OK;
}

void NatsConsumer::State::Take(size_t slot, uint64_t epoch, std::vector<natsMsg*>& msgs) {
  std::vector<Item> items;
  items.reserve(msgs.size());
  for (natsMsg* msg : msgs) {
    jsMsgMetaData* meta = nullptr;
    uint64_t seq = 0;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      seq = meta->Sequence.Stream;
      jsMsgMetaData_Destroy(meta);
    }
    const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(msg));
    auto decoded = DecodeEnvelopes({data, static_cast<size_t>(natsMsg_GetDataLength(msg))});
    if (!decoded.ok()) {
      // Nothing will ever decode it: terminate instead of redelivering forever.
      ++poison;
      Respond(msg, "+TERM");
      natsMsg_Destroy(msg);
      continue;
    }
    items.push_back(Item{std::move(*decoded), msg, seq});
  }
  std::vector<natsMsg*> duplicates, nak;
  bool buffered = false;
  {
    std::lock_guard lock(mu);
    Partition& part = parts[slot];
    const bool closing = closed;
    const bool ours = part.owned && part.epoch == epoch;
    for (auto& item : items) {
      if (closing && ours) {
        nak.push_back(item.msg);  // nobody will fetch it here: back to JetStream now
      } else if (!ours) {
        duplicates.push_back(item.msg);  // the lease went while pulling: not ours to hand out
      } else if (item.seq != 0 && !part.seqs.insert(item.seq).second) {
        duplicates.push_back(item.msg);  // a redelivery of one we hold: keep ours
      } else {
        part.buffer.push_back(std::move(item));
        buffered = true;
      }
    }
  }
  // One Fetch waiter is enough: it takes every free partition's messages
  // and wakes another if some are left. Waking all of a node's workers per
  // arriving message cost a context switch each.
  if (buffered) ready.notify_one();
  for (natsMsg* m : nak) Respond(m, "-NAK");
  for (natsMsg* m : nak) natsMsg_Destroy(m);
  for (natsMsg* m : duplicates) natsMsg_Destroy(m);
}

namespace {

// JetStream's status replies on a pull's inbox carry no data, only a
// "Status" header: 404 (a no_wait pull found nothing more), 408 (a pull
// expired), 409 (it was ended: consumer deleted, leader change, ...), 503
// (no JetStream). 100 is an idle heartbeat, which fleetd does not ask for.
bool IsStatus(natsMsg* msg, bool* ends_pull) {
  const char* status = nullptr;
  if (natsMsgHeader_Get(msg, "Status", &status) != NATS_OK || status == nullptr) return false;
  *ends_pull = std::string_view(status) != "100";
  return true;
}

// A pull's expiry does not always come back as a 408: under a steady flow
// of messages nats-server 2.9.10 sometimes ends an expired pull silently
// (seen in a load test: partitions stalled until a local timeout). So a
// pull also ends by this process's clock, kExpirySlack after its expiry.
// The server started its clock on receipt, so it may still deliver on the
// pull for a moment: until kPullGrace after the expiry the partition is not
// given back, and what arrives meanwhile is still taken.
constexpr auto kExpirySlack = std::chrono::milliseconds(5);
constexpr auto kPullGrace = std::chrono::milliseconds(250);

}  // namespace

// One fetcher per partition, one pull request at a time, sent when the
// partition is usable and its buffer empty. The first pull after the
// buffer empties takes what is stored without waiting (no_wait): under
// load that is the whole backlog the process let build up meanwhile, in
// one burst. Only when it finds nothing does the next pull wait, for up to
// kPullLifetimeMs: JetStream then delivers each message on it as it is
// stored (up to fetch_batch). So a busy partition costs a request per
// burst and an idle one a request per pull lifetime, never one or two per
// message. A new pull is sent once the last one ended: its batch
// delivered, its status reply, or its expiry by our clock (see
// kExpirySlack). Pulls are sent only while the lease is usable for a whole
// pull lifetime (kLeaseSafety), and a partition is given back only when no
// pull of ours can still deliver to this process.
void NatsConsumer::State::RunFetcher(size_t slot) {
  natsSubscription* inbox = parts[slot].inbox;
  const std::string inbox_prefix = parts[slot].inbox_prefix;
  const std::string next_subject = parts[slot].next_subject;
  const int batch = static_cast<int>(options.fetch_batch);
  const auto lifetime = std::chrono::milliseconds(kPullLifetimeMs);
  const std::string take_stored = "{\"batch\":" + std::to_string(batch) + ",\"no_wait\":true}";
  const std::string wait_for_more = "{\"batch\":" + std::to_string(batch) +
                                    ",\"expires\":" + std::to_string(kPullLifetimeMs * 1000000) + "}";
  struct Pull {
    bool live = false;
    bool no_wait = false;
    uint64_t id = 0;     // its reply subject's last token
    uint64_t epoch = 0;  // of the lease it was sent under
    int remaining = 0;   // messages it may still deliver
    int delivered = 0;
    Clock::time_point expires{};  // by our clock
  } pull;
  bool found_nothing = false;            // the last no_wait pull: the next one waits
  Clock::time_point may_deliver_until{};  // a pull ended by our clock alone may still deliver until then
  uint64_t seen_epoch = 0;
  std::vector<natsMsg*> received;
  while (true) {
    std::vector<natsMsg*> drop, give_back;
    bool giving_back = false, orphan_check = false, send = false, stray = false;
    uint64_t epoch = 0;
    {
      std::unique_lock lock(mu);
      Partition& part = parts[slot];
      while (true) {
        if (closed && !pull.live) return;  // a live pull is read to its end: what it brings is nak'ed
        const auto now = Clock::now();
        if (part.owned && now >= part.valid_until) {
          LoseLocked(part, drop);  // not renewed in time: stop at once
          break;
        }
        if (pull.live) break;
        int queued = 0;
        if (natsSubscription_GetPending(inbox, &queued, nullptr) == NATS_OK && queued > 0) {
          stray = true;  // delivered on a pull that ended by our clock
          break;
        }
        if (part.owned && part.release && !part.Busy() && now >= may_deliver_until) {
          // Give it back between pulls, holding no delivery: what is still
          // buffered returns to JetStream first (nak), then the lease.
          for (auto& item : part.buffer) {
            part.seqs.erase(item.seq);
            give_back.push_back(item.msg);
          }
          part.buffer.clear();
          part.owned = false;
          part.release = false;
          giving_back = true;
          break;
        }
        if (part.Usable(now) && part.buffer.empty()) {
          epoch = part.epoch;
          if (epoch != seen_epoch) {
            seen_epoch = epoch;
            orphan_check = !part.clean;
          }
          send = true;
          break;
        }
        auto until = now + kIdleRecheck;
        if (part.owned && part.valid_until < until) until = part.valid_until;
        if (part.release && now < may_deliver_until && may_deliver_until < until) until = may_deliver_until;
        refill.wait_until(lock, until);
      }
    }
    for (natsMsg* m : drop) natsMsg_Destroy(m);
    if (giving_back) {
      for (natsMsg* m : give_back) Respond(m, "-NAK");
      for (natsMsg* m : give_back) natsMsg_Destroy(m);
      // The naks must have reached the server before the next holder pulls
      // without waiting (a "free" lease): it would otherwise skip them.
      const bool flushed = natsConnection_FlushTimeout(session->connection(), 2000) == NATS_OK;
      {
        std::lock_guard lock(mu);
        parts[slot].released = true;
        parts[slot].released_clean = flushed;
      }
      keeper_wake.notify_all();
      continue;
    }
    if (send) {
      if (orphan_check) WaitForOrphans(slot, epoch);
      {
        std::lock_guard lock(mu);  // the wait may have outlived the lease
        if (closed) return;
        if (!parts[slot].Usable(Clock::now()) || parts[slot].epoch != epoch) continue;
      }
      const std::string reply = inbox_prefix + "." + std::to_string(++pull.id);
      const bool no_wait = !found_nothing;
      const auto sent = Clock::now();
      if (natsConnection_PublishRequestString(session->connection(), next_subject.c_str(), reply.c_str(),
                                              no_wait ? take_stored.c_str() : wait_for_more.c_str()) != NATS_OK) {
        // Disconnected or closed: pause, then try again.
        std::unique_lock lock(mu);
        refill.wait_for(lock, kErrorPause, [&] { return closed; });
        continue;
      }
      pull = Pull{true, no_wait, pull.id, epoch, batch, 0, sent + lifetime};
    }
    if (!pull.live && !stray) continue;
    // Wait for one message, then take every one already queued, so one
    // hand-over covers a burst; a no_wait pull's burst is read to its end
    // (its status follows at once).
    const auto wait_for_pull = [&] {
      if (!pull.live) return int64_t{1};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(pull.expires + kExpirySlack - Clock::now());
      return std::clamp<int64_t>(left.count(), 1, kIdleRecheck.count());
    };
    natsMsg* msg = nullptr;
    natsStatus s = natsSubscription_NextMsg(&msg, inbox, wait_for_pull());
    while (s == NATS_OK) {
      bool ends_pull = false;
      if (IsStatus(msg, &ends_pull)) {
        if (ends_pull && pull.live && ReplyNumber(msg) == pull.id) pull.live = false;  // else an earlier pull's
        natsMsg_Destroy(msg);
      } else {
        received.push_back(msg);
        ++pull.delivered;
        if (--pull.remaining <= 0) pull.live = false;
      }
      int queued = 0;
      const bool more_queued = natsSubscription_GetPending(inbox, &queued, nullptr) == NATS_OK && queued > 0;
      const bool burst_continues = pull.live && pull.no_wait;
      if (!more_queued && !burst_continues) break;
      s = natsSubscription_NextMsg(&msg, inbox, more_queued ? 1 : wait_for_pull());
    }
    if (!received.empty()) {
      Take(slot, pull.epoch, received);
      received.clear();
    }
    if (pull.live && s == NATS_TIMEOUT && Clock::now() >= pull.expires + kExpirySlack) {
      pull.live = false;  // its 408 did not come (see kExpirySlack)
      may_deliver_until = pull.expires + kPullGrace;
    } else if (s != NATS_OK && s != NATS_TIMEOUT) {
      pull.live = false;  // the subscription or connection is closed
      may_deliver_until = pull.expires + kPullGrace;
      std::unique_lock lock(mu);
      refill.wait_for(lock, kErrorPause, [&] { return closed; });
    }
    if (!pull.live) found_nothing = pull.no_wait && pull.delivered == 0;
  }
}

std::unique_ptr<Delivery> NatsConsumer::Fetch(size_t max_messages, std::chrono::milliseconds wait) {
  if (max_messages == 0) return nullptr;
  State& s = *state_;
  std::unique_lock lock(s.mu);
  if (!s.started && !s.closed) {
    s.started = true;
    for (size_t slot = 0; slot < s.parts.size(); ++slot) {
      s.threads.emplace_back([state = state_.get(), slot] { state->RunFetcher(slot); });
    }
    if (s.leases) s.keeper = std::thread([state = state_.get()] { state->RunKeeper(); });
  }
  s.ready.wait_for(lock, wait, [&] { return s.closed || s.HasAvailable(); });
  if (s.closed || !s.HasAvailable()) return nullptr;

  auto delivery = std::make_unique<NatsDelivery>(state_);
  const size_t n = s.parts.size();
  const auto now = Clock::now();
  size_t left = max_messages;
  size_t slot = s.next;
  for (size_t k = 0; k < n && left > 0; ++k, slot = (slot + 1) % n) {
    Partition& part = s.parts[slot];
    if (part.held || part.buffer.empty() || !part.Usable(now)) continue;
    left -= std::min(left, delivery->Take(slot, part, left));
  }
  s.next = slot;
  const bool more = s.HasAvailable();  // `max_messages` left some: the next waiter's
  lock.unlock();
  if (more) s.ready.notify_one();
  s.refill.notify_all();  // emptied buffers: fetch the next batch meanwhile
  return delivery;
}

void NatsConsumer::Close() {
  std::vector<natsMsg*> nak;
  {
    std::lock_guard lock(state_->mu);
    if (state_->closed) return;
    state_->closed = true;
    for (auto& part : state_->parts) {
      for (auto& item : part.buffer) {
        part.seqs.erase(item.seq);
        nak.push_back(item.msg);
      }
      part.buffer.clear();
    }
  }
  state_->ready.notify_all();
  state_->refill.notify_all();
  state_->keeper_wake.notify_all();
  for (natsMsg* m : nak) {
    state_->Respond(m, "-NAK");
    natsMsg_Destroy(m);
  }
}

std::vector<size_t> NatsConsumer::OwnedPartitions() const {
  std::lock_guard lock(state_->mu);
  std::vector<size_t> out;
  const auto now = Clock::now();
  for (const auto& p : state_->parts) {
    if (p.owned && now < p.valid_until) out.push_back(p.index);
  }
  return out;
}

const std::string& NatsConsumer::worker_id() const { return state_->worker_id; }

uint64_t NatsConsumer::poison_messages() const { return state_->poison; }
uint64_t NatsConsumer::ack_errors() const { return state_->ack_errors; }
uint64_t NatsConsumer::leases_lost() const { return state_->leases_lost; }

}  // namespace fleetd::nats
