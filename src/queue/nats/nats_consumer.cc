// NatsConsumer internals: a fetcher thread per partition fills that
// partition's buffer (one pull batch ahead), Fetch hands buffered messages
// out holding their partitions, deliveries ack or put them back. One mutex
// guards the buffers; libnats calls run without it.
#include "queue/nats/nats_consumer.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "queue/nats/envelope_codec.h"
#include "queue/nats/jetstream_setup.h"
#include "queue/nats/nats_subjects.h"

namespace fleetd::nats {
namespace {

// How long an idle partition's pull waits for its first message. Bounds how
// long a stopping fetcher takes to notice, not the delivery latency (a pull
// returns as soon as a message arrives).
constexpr int64_t kIdlePollMs = 500;
constexpr auto kErrorPause = std::chrono::milliseconds(100);
constexpr auto kRecoveryMargin = std::chrono::milliseconds(200);

struct Item {
  Envelope envelope;
  natsMsg* msg = nullptr;
  uint64_t seq = 0;
};

struct Partition {
  size_t index = 0;  // partition number (subject suffix)
  natsSubscription* sub = nullptr;
  std::deque<Item> buffer;
  std::unordered_set<uint64_t> seqs;  // stream sequences buffered or in a delivery
  bool held = false;
};

}  // namespace

struct NatsConsumer::State {
  std::shared_ptr<NatsSession> session;
  NatsQueueOptions options;
  std::mutex mu;
  std::condition_variable ready;   // Fetch waiters: a partition has messages and is free
  std::condition_variable refill;  // fetchers: a buffer emptied, or closing
  std::vector<Partition> parts;    // the consumed partitions only
  size_t next = 0;                 // where the next Fetch starts looking (fairness)
  bool closed = false;
  bool started = false;
  std::vector<std::thread> threads;
  std::atomic<uint64_t> poison{0};
  std::atomic<uint64_t> ack_errors{0};

  bool HasAvailable() const {
    for (const auto& p : parts) {
      if (!p.held && !p.buffer.empty()) return true;
    }
    return false;
  }
  void RunFetcher(size_t slot);
  void WaitForOrphans(size_t slot);
  void Take(size_t slot, natsMsgList& list);
};

namespace {

// Items of one partition inside a delivery, in stream order.
struct Group {
  size_t slot = 0;
  size_t begin = 0, end = 0;  // range in envelopes_
  std::vector<natsMsg*> msgs;
  std::vector<uint64_t> seqs;
};

class NatsDelivery final : public Delivery {
 public:
  explicit NatsDelivery(std::shared_ptr<NatsConsumer::State> state) : state_(std::move(state)) {}
  ~NatsDelivery() override {
    if (!settled_) Nack();
  }

  const std::vector<Envelope>& envelopes() const override { return envelopes_; }

  void Ack() override {
    if (settled_) return;
    settled_ = true;
    for (auto& g : groups_) {
      for (size_t i = 0; i + 1 < g.msgs.size(); ++i) {
        if (natsMsg_Ack(g.msgs[i], nullptr) != NATS_OK) ++state_->ack_errors;
      }
      jsErrCode jerr = static_cast<jsErrCode>(0);
      if (!g.msgs.empty() && natsMsg_AckSync(g.msgs.back(), nullptr, &jerr) != NATS_OK) ++state_->ack_errors;
    }
    Release(/*requeue=*/false);
  }

  void Nack() override {
    if (settled_) return;
    settled_ = true;
    Release(/*requeue=*/true);
  }

  // Called by Fetch with the state mutex held.
  void Take(size_t slot, Partition& part, size_t max) {
    Group g;
    g.slot = slot;
    g.begin = envelopes_.size();
    while (max-- > 0 && !part.buffer.empty()) {
      Item& item = part.buffer.front();
      envelopes_.push_back(std::move(item.envelope));
      g.msgs.push_back(item.msg);
      g.seqs.push_back(item.seq);
      part.buffer.pop_front();
    }
    g.end = envelopes_.size();
    part.held = true;
    groups_.push_back(std::move(g));
  }

 private:
  void Release(bool requeue) {
    std::vector<natsMsg*> nak;
    {
      std::lock_guard lock(state_->mu);
      for (auto& g : groups_) {
        Partition& part = state_->parts[g.slot];
        part.held = false;
        if (requeue && !state_->closed) {
          // Back to the front in order: walk backwards, push to the front.
          for (size_t i = g.msgs.size(); i-- > 0;) {
            part.buffer.push_front(Item{std::move(envelopes_[g.begin + i]), g.msgs[i], g.seqs[i]});
          }
          g.msgs.clear();
          continue;
        }
        for (uint64_t seq : g.seqs) part.seqs.erase(seq);
        if (requeue) nak.insert(nak.end(), g.msgs.begin(), g.msgs.end());  // closed: hand back to JetStream
      }
    }
    state_->ready.notify_all();
    state_->refill.notify_all();
    for (natsMsg* m : nak) natsMsg_Nak(m, nullptr);
    for (auto& g : groups_) {
      for (natsMsg* m : g.msgs) natsMsg_Destroy(m);
    }
    groups_.clear();
  }

  std::shared_ptr<NatsConsumer::State> state_;
  std::vector<Envelope> envelopes_;
  std::vector<Group> groups_;
  bool settled_ = false;
};

}  // namespace

Result<std::unique_ptr<NatsConsumer>> NatsConsumer::Open(std::shared_ptr<NatsSession> session,
                                                         const NatsQueueOptions& options) {
  auto state = std::make_shared<State>();
  state->session = std::move(session);
  state->options = options;
  for (size_t p : options.ConsumedPartitions()) {
    auto sub = BindPartition(*state->session, options, p);
    if (!sub.ok()) return sub.status();
    Partition part;
    part.index = p;
    part.sub = *sub;
    state->parts.push_back(std::move(part));
  }
  return std::unique_ptr<NatsConsumer>(new NatsConsumer(std::move(state)));
}

NatsConsumer::~NatsConsumer() {
  Close();
  for (auto& t : state_->threads) {
    if (t.joinable()) t.join();
  }
  state_->threads.clear();
}

void NatsConsumer::State::WaitForOrphans(size_t slot) {
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
  refill.wait_for(lock, left + kRecoveryMargin, [&] { return closed; });
}

void NatsConsumer::State::Take(size_t slot, natsMsgList& list) {
  std::vector<Item> items;
  items.reserve(list.Count);
  for (int i = 0; i < list.Count; ++i) {
    natsMsg* msg = list.Msgs[i];
    list.Msgs[i] = nullptr;  // ours now
    jsMsgMetaData* meta = nullptr;
    uint64_t seq = 0;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      seq = meta->Sequence.Stream;
      jsMsgMetaData_Destroy(meta);
    }
    const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(msg));
    auto decoded = DecodeEnvelope({data, static_cast<size_t>(natsMsg_GetDataLength(msg))});
    if (!decoded.ok()) {
      // Nothing will ever decode it: terminate instead of redelivering forever.
      ++poison;
      natsMsg_Term(msg, nullptr);
      natsMsg_Destroy(msg);
      continue;
    }
    items.push_back(Item{std::move(*decoded), msg, seq});
  }
  std::vector<natsMsg*> duplicates;
  {
    std::lock_guard lock(mu);
    Partition& part = parts[slot];
    for (auto& item : items) {
      if (item.seq != 0 && !part.seqs.insert(item.seq).second) {
        duplicates.push_back(item.msg);  // a redelivery of one we hold: keep ours
        continue;
      }
      part.buffer.push_back(std::move(item));
    }
  }
  ready.notify_all();
  for (natsMsg* m : duplicates) natsMsg_Destroy(m);
}

void NatsConsumer::State::RunFetcher(size_t slot) {
  WaitForOrphans(slot);
  natsSubscription* sub = parts[slot].sub;
  const int batch = static_cast<int>(options.fetch_batch);
  while (true) {
    {
      std::unique_lock lock(mu);
      refill.wait(lock, [&] { return closed || parts[slot].buffer.empty(); });
      if (closed) return;
    }
    natsMsgList list{};
    // Take what is there without waiting; only when the partition is empty,
    // wait for one message (a pull for a whole batch would wait for all of it).
    jsFetchRequest req;
    jsFetchRequest_Init(&req);
    req.Batch = batch;
    req.NoWait = true;
    req.Expires = kIdlePollMs * 1000000;
    natsStatus s = natsSubscription_FetchRequest(&list, sub, &req);
    if (s == NATS_NOT_FOUND || s == NATS_TIMEOUT || (s == NATS_OK && list.Count == 0)) {
      natsMsgList_Destroy(&list);
      s = natsSubscription_Fetch(&list, sub, 1, kIdlePollMs, nullptr);
    }
    if (s == NATS_OK) {
      Take(slot, list);
      natsMsgList_Destroy(&list);
      continue;
    }
    natsMsgList_Destroy(&list);
    if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND) continue;
    // Disconnected, closed, or a server error: pause, then try again.
    std::unique_lock lock(mu);
    refill.wait_for(lock, kErrorPause, [&] { return closed; });
    if (closed) return;
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
  }
  s.ready.wait_for(lock, wait, [&] { return s.closed || s.HasAvailable(); });
  if (s.closed || !s.HasAvailable()) return nullptr;

  auto delivery = std::make_unique<NatsDelivery>(state_);
  const size_t n = s.parts.size();
  size_t left = max_messages;
  size_t slot = s.next;
  for (size_t k = 0; k < n && left > 0; ++k, slot = (slot + 1) % n) {
    Partition& part = s.parts[slot];
    if (part.held || part.buffer.empty()) continue;
    size_t before = part.buffer.size();
    delivery->Take(slot, part, left);
    left -= before - part.buffer.size();
  }
  s.next = slot;
  lock.unlock();
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
  for (natsMsg* m : nak) {
    natsMsg_Nak(m, nullptr);
    natsMsg_Destroy(m);
  }
}

uint64_t NatsConsumer::poison_messages() const { return state_->poison; }
uint64_t NatsConsumer::ack_errors() const { return state_->ack_errors; }

}  // namespace fleetd::nats
