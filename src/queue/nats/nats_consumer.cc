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
#include "core/thread_name.h"
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
                                                         const NatsQueueOptions& options,
                                                         const std::vector<PartitionConsumer>& consumers) {
  auto state = std::make_shared<State>();
  state->session = std::move(session);
  state->options = options;
  const bool leased = options.leased();
  for (size_t p : options.ConsumedPartitions()) {
    if (p >= consumers.size()) return Status(StatusCode::kInternal, "no consumer for partition " + std::to_string(p));
    Partition part;
    part.index = p;
    part.ack_all = consumers[p].ack_all;
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
class NatsConsumer::State::Fetcher {
 public:
  Fetcher(State& state, size_t slot)
      : s_(state),
        slot_(slot),
        inbox_(state.parts[slot].inbox),
        inbox_prefix_(state.parts[slot].inbox_prefix),
        next_subject_(state.parts[slot].next_subject),
        batch_(static_cast<int>(state.options.fetch_batch)),
        take_stored_("{\"batch\":" + std::to_string(batch_) + ",\"no_wait\":true}"),
        wait_for_more_("{\"batch\":" + std::to_string(batch_) + ",\"expires\":" +
                       std::to_string(kPullLifetimeMs * 1000000) + "}") {}

  void Run() {
    while (true) {
      std::vector<natsMsg*> drop, give_back;
      uint64_t epoch = 0;
      bool orphan_check = false;
      const Step step = Decide(drop, give_back, epoch, orphan_check);
      for (natsMsg* m : drop) natsMsg_Destroy(m);
      switch (step) {
        case Step::kStop:
          return;
        case Step::kAgain:
          continue;
        case Step::kGiveBack:
          GiveBack(give_back);
          continue;
        case Step::kSend:
          if (Step sent = SendPull(epoch, orphan_check); sent != Step::kRead) {
            if (sent == Step::kStop) return;
            continue;
          }
          break;
        case Step::kRead:
          break;
      }
      ReadPull();
    }
  }

 private:
  enum class Step {
    kStop,      // closing, and no pull of ours is live
    kAgain,     // decide again
    kGiveBack,  // the keeper asked for the partition, and nothing holds it
    kSend,      // usable with an empty buffer: send the next pull
    kRead,      // a pull is live, or messages arrived on an ended one
  };

  // The pull out, if any: one at a time.
  struct Pull {
    bool live = false;
    bool no_wait = false;
    uint64_t id = 0;     // its reply subject's last token
    uint64_t epoch = 0;  // of the lease it was sent under
    int remaining = 0;   // messages it may still deliver
    int delivered = 0;
    Clock::time_point expires{};  // by our clock
  };

  // Under the lock, waits until there is something to do. A lease not
  // renewed in time is dropped at once (`drop`), whatever else happens.
  Step Decide(std::vector<natsMsg*>& drop, std::vector<natsMsg*>& give_back, uint64_t& epoch, bool& orphan_check) {
    std::unique_lock lock(s_.mu);
    Partition& part = s_.parts[slot_];
    while (true) {
      if (s_.closed && !pull_.live) return Step::kStop;  // a live pull is read to its end: what it brings is nak'ed
      const auto now = Clock::now();
      if (part.owned && now >= part.valid_until) {
        s_.LoseLocked(part, drop);  // not renewed in time: stop at once
        return pull_.live ? Step::kRead : Step::kAgain;
      }
      if (pull_.live) return Step::kRead;
      int queued = 0;
      if (natsSubscription_GetPending(inbox_, &queued, nullptr) == NATS_OK && queued > 0) {
        return Step::kRead;  // delivered on a pull that ended by our clock
      }
      if (part.owned && part.release && !part.Busy() && now >= may_deliver_until_) {
        // Give it back between pulls, holding no delivery: what is still
        // buffered returns to JetStream first (nak), then the lease.
        for (auto& item : part.buffer) {
          part.seqs.erase(item.seq);
          give_back.push_back(item.msg);
        }
        part.buffer.clear();
        part.owned = false;
        part.release = false;
        return Step::kGiveBack;
      }
      if (part.Usable(now) && part.buffer.empty()) {
        epoch = part.epoch;
        if (epoch != seen_epoch_) {
          seen_epoch_ = epoch;
          orphan_check = !part.clean;
        }
        return Step::kSend;
      }
      auto until = now + kIdleRecheck;
      if (part.owned && part.valid_until < until) until = part.valid_until;
      if (part.release && now < may_deliver_until_ && may_deliver_until_ < until) until = may_deliver_until_;
      s_.refill.wait_until(lock, until);
    }
  }

  void GiveBack(const std::vector<natsMsg*>& msgs) {
    for (natsMsg* m : msgs) s_.Respond(m, "-NAK");
    for (natsMsg* m : msgs) natsMsg_Destroy(m);
    // The naks must have reached the server before the next holder pulls
    // without waiting (a "free" lease): it would otherwise skip them.
    const bool flushed = natsConnection_FlushTimeout(s_.session->connection(), 2000) == NATS_OK;
    {
      std::lock_guard lock(s_.mu);
      s_.parts[slot_].released = true;
      s_.parts[slot_].released_clean = flushed;
    }
    s_.keeper_wake.notify_all();
  }

  // kRead once the pull is out; kAgain when the lease changed meanwhile
  // or the request could not be sent (after a pause); kStop when closing.
  Step SendPull(uint64_t epoch, bool orphan_check) {
    if (orphan_check) s_.WaitForOrphans(slot_, epoch);
    {
      std::lock_guard lock(s_.mu);  // the wait may have outlived the lease
      if (s_.closed) return Step::kStop;
      if (!s_.parts[slot_].Usable(Clock::now()) || s_.parts[slot_].epoch != epoch) return Step::kAgain;
    }
    const std::string reply = inbox_prefix_ + "." + std::to_string(++pull_.id);
    const bool no_wait = !found_nothing_;
    const auto sent = Clock::now();
    if (natsConnection_PublishRequestString(s_.session->connection(), next_subject_.c_str(), reply.c_str(),
                                            no_wait ? take_stored_.c_str() : wait_for_more_.c_str()) != NATS_OK) {
      PauseAfterError();  // disconnected or closed
      return Step::kAgain;
    }
    pull_ = Pull{true, no_wait, pull_.id, epoch, batch_, 0, sent + std::chrono::milliseconds(kPullLifetimeMs)};
    return Step::kRead;
  }

  // Waits for one message, then takes every one already queued, so one
  // hand-over covers a burst; a no_wait pull's burst is read to its end
  // (its status follows at once). Ends the pull on its status, its last
  // message, or its expiry by our clock (kExpirySlack).
  void ReadPull() {
    natsMsg* msg = nullptr;
    natsStatus s = natsSubscription_NextMsg(&msg, inbox_, WaitForPull());
    while (s == NATS_OK) {
      bool ends_pull = false;
      if (IsStatus(msg, &ends_pull)) {
        if (ends_pull && pull_.live && ReplyNumber(msg) == pull_.id) pull_.live = false;  // else an earlier pull's
        natsMsg_Destroy(msg);
      } else {
        received_.push_back(msg);
        ++pull_.delivered;
        if (--pull_.remaining <= 0) pull_.live = false;
      }
      int queued = 0;
      const bool more_queued = natsSubscription_GetPending(inbox_, &queued, nullptr) == NATS_OK && queued > 0;
      const bool burst_continues = pull_.live && pull_.no_wait;
      if (!more_queued && !burst_continues) break;
      s = natsSubscription_NextMsg(&msg, inbox_, more_queued ? 1 : WaitForPull());
    }
    if (!received_.empty()) {
      s_.Take(slot_, pull_.epoch, received_);
      received_.clear();
    }
    if (pull_.live && s == NATS_TIMEOUT && Clock::now() >= pull_.expires + kExpirySlack) {
      pull_.live = false;  // its 408 did not come (see kExpirySlack)
      may_deliver_until_ = pull_.expires + kPullGrace;
    } else if (s != NATS_OK && s != NATS_TIMEOUT) {
      pull_.live = false;  // the subscription or connection is closed
      may_deliver_until_ = pull_.expires + kPullGrace;
      PauseAfterError();
    }
    if (!pull_.live) found_nothing_ = pull_.no_wait && pull_.delivered == 0;
  }

  // How long to wait for the pull's next message: until its expiry by our
  // clock (at most kIdleRecheck); 1 ms for stray messages with no pull.
  int64_t WaitForPull() const {
    if (!pull_.live) return 1;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(pull_.expires + kExpirySlack - Clock::now());
    return std::clamp<int64_t>(left.count(), 1, kIdleRecheck.count());
  }

  void PauseAfterError() {
    std::unique_lock lock(s_.mu);
    s_.refill.wait_for(lock, kErrorPause, [&] { return s_.closed; });
  }

  State& s_;
  const size_t slot_;
  natsSubscription* const inbox_;
  const std::string inbox_prefix_;
  const std::string next_subject_;
  const int batch_;
  const std::string take_stored_;    // the first pull after the buffer empties
  const std::string wait_for_more_;  // after a no_wait pull found nothing
  Pull pull_;
  bool found_nothing_ = false;             // the last no_wait pull: the next one waits
  Clock::time_point may_deliver_until_{};  // a pull ended by our clock alone may still deliver until then
  uint64_t seen_epoch_ = 0;
  std::vector<natsMsg*> received_;
};

void NatsConsumer::State::RunFetcher(size_t slot) { Fetcher(*this, slot).Run(); }

std::unique_ptr<Delivery> NatsConsumer::Fetch(size_t max_messages, std::chrono::milliseconds wait) {
  if (max_messages == 0) return nullptr;
  State& s = *state_;
  std::unique_lock lock(s.mu);
  if (!s.started && !s.closed) {
    s.started = true;
    for (size_t slot = 0; slot < s.parts.size(); ++slot) {
      s.threads.emplace_back([state = state_.get(), slot] {
        SetThreadName("fetch-p" + std::to_string(state->parts[slot].index));
        state->RunFetcher(slot);
      });
    }
    if (s.leases) {
      s.keeper = std::thread([state = state_.get()] {
        SetThreadName("lease-keeper");
        state->RunKeeper();
      });
    }
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
