// NatsPublisher: window accounting, encoding, and ack bookkeeping. A message
// is registered in pending_ before libnats sees it, because its ack can
// arrive on another thread before js_PublishMsgAsync returns.
#include "queue/nats/nats_publisher.h"

#include <functional>
#include <string>
#include <utility>

#include "core/envelope_codec.h"
#include "core/thread_name.h"
#include "queue/nats/nats_session.h"
#include "queue/nats/nats_subjects.h"

namespace fleetd::nats {

struct NatsPublisher::Batch {
  size_t remaining = 0;
  DurableCallback on_durable;
  bool done = false;
};

namespace {

Status ClosedError() { return Status(StatusCode::kIoError, "queue closed"); }

// Lingering batches are sent at once when this many envelopes wait.
constexpr size_t kFlushAt = 4096;

}  // namespace

NatsPublisher::NatsPublisher(const NatsQueueOptions& options) : options_(options) {}

NatsPublisher::~NatsPublisher() {
  Close();
  if (flusher_.joinable()) flusher_.join();
}

Status NatsPublisher::Publish(std::vector<Envelope>&& batch, DurableCallback on_durable) {
  const size_t n = batch.size();
  if (n == 0) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return ClosedError();
    }
    if (on_durable) on_durable(Status::Ok());
    return Status::Ok();
  }
  if (n > options_.window) {
    return Status(StatusCode::kInvalidArgument,
                  "batch of " + std::to_string(n) + " exceeds the publish window " + std::to_string(options_.window));
  }
  {
    std::lock_guard lock(mu_);
    if (closed_) return ClosedError();
    if (in_flight_ + n > options_.window) return Status(StatusCode::kBusy, "JetStream publish window full");
    in_flight_ += n;  // reserve now; released below on any early error
  }
  auto release = [&](size_t slots) {
    std::lock_guard lock(mu_);
    in_flight_ -= slots;
  };
  if (natsConnection_Status(session_->connection()) != NATS_CONN_STATUS_CONNECTED) {
    release(n);
    return Status(StatusCode::kBusy, "not connected to NATS (reconnecting)");
  }

  auto prepared = Prepare(batch, std::move(on_durable));
  if (!prepared.ok()) {
    release(n);
    return prepared.status();  // `batch` untouched: nothing of it can be queued
  }
  batch.clear();
  if (options_.linger.count() > 0) {
    Enqueue(std::move(*prepared));
  } else {
    std::vector<Queued> now;
    now.push_back(std::move(*prepared));
    SendQueued(now);
  }
  return Status::Ok();
}

void NatsPublisher::OnAck(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* pae, void* closure) {
  static_cast<NatsPublisher*>(closure)->Settle(msg, pae);
  natsMsg_Destroy(msg);  // ours to free (libnats hands it back)
}

void NatsPublisher::Settle(natsMsg* msg, const jsPubAckErr* pae) {
  std::vector<DurableCallback> ready;
  Status status;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(msg);
    if (it == pending_.end()) return;  // failed by Close() already
    Parts parts = std::move(it->second.parts);
    pending_.erase(it);
    if (pae != nullptr && pae->Err != NATS_OK) {
      std::string text = pae->ErrText != nullptr ? pae->ErrText : natsStatus_GetText(pae->Err);
      status = Status(StatusCode::kIoError, "JetStream did not acknowledge the message: " + text);
      FailLocked(parts, ready);
    } else {
      for (auto& [batch, envelopes] : parts) {
        in_flight_ -= envelopes;
        batch->remaining -= envelopes;
        if (batch->done || batch->remaining != 0) continue;
        batch->done = true;
        if (batch->on_durable) ready.push_back(std::move(batch->on_durable));
      }
    }
  }
  for (auto& cb : ready) cb(status);
}

void NatsPublisher::FailLocked(const Parts& parts, std::vector<DurableCallback>& out) {
  for (const auto& [batch, envelopes] : parts) {
    in_flight_ -= envelopes;
    batch->remaining -= envelopes;
    if (batch->done) continue;
    batch->done = true;
    if (batch->on_durable) out.push_back(std::move(batch->on_durable));
  }
}

Result<NatsPublisher::Queued> NatsPublisher::Prepare(std::vector<Envelope>& batch, DurableCallback on_durable) {
  // Encoded here, on the caller's thread: an envelope that cannot be queued
  // is refused now, its batch untouched (the listener must not resend it
  // forever), and sending only concatenates bytes.
  const int64_t max_payload = natsConnection_GetMaxPayload(session_->connection());
  std::vector<std::string> encoded(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    if (Status s = EncodeEnvelope(batch[i], encoded[i]); !s.ok()) return s;
    if (max_payload > 0 && static_cast<int64_t>(encoded[i].size()) > max_payload) {
      return Status(StatusCode::kInvalidArgument, "an envelope of " + std::to_string(encoded[i].size()) +
                                                      " bytes exceeds the NATS server's max_payload of " +
                                                      std::to_string(max_payload));
    }
  }
  auto shared = std::make_shared<Batch>();
  shared->remaining = batch.size();
  shared->on_durable = std::move(on_durable);
  return Queued{std::move(batch), std::move(encoded), std::move(shared)};
}

void NatsPublisher::Enqueue(Queued queued) {
  std::vector<DurableCallback> failed;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      FailLocked(Parts{{queued.batch, queued.envelopes.size()}}, failed);
    } else {
      wake = queued_.empty();
      queued_envelopes_ += queued.envelopes.size();
      wake = wake || queued_envelopes_ >= kFlushAt;
      queued_.push_back(std::move(queued));
      if (!flusher_.joinable()) {
        flusher_ = std::thread([this] {
          SetThreadName("nats-flusher");
          RunFlusher();
        });
      }
    }
  }
  for (auto& cb : failed) cb(ClosedError());
  if (wake) flush_cv_.notify_all();
}

void NatsPublisher::RunFlusher() {
  std::unique_lock lock(mu_);
  while (true) {
    flush_cv_.wait(lock, [&] { return closed_ || !queued_.empty(); });
    if (closed_) return;  // Close() failed what was queued
    // The first batch waits up to `linger` for company.
    flush_cv_.wait_for(lock, options_.linger, [&] { return closed_ || queued_envelopes_ >= kFlushAt; });
    if (closed_) return;
    std::vector<Queued> taken;
    taken.swap(queued_);
    queued_envelopes_ = 0;
    lock.unlock();
    SendQueued(taken);
    lock.lock();
  }
}

void NatsPublisher::SendQueued(std::vector<Queued>& taken) {
  const int64_t max_payload = natsConnection_GetMaxPayload(session_->connection());
  struct Ref {
    size_t queued, index;
  };
  std::vector<std::vector<Ref>> by_partition(options_.partitions);
  std::vector<size_t> order;
  for (size_t q = 0; q < taken.size(); ++q) {
    for (size_t i = 0; i < taken[q].envelopes.size(); ++i) {
      const size_t p = PartitionOf(taken[q].envelopes[i].message.device_uid, options_.partitions);
      if (by_partition[p].empty()) order.push_back(p);
      by_partition[p].push_back(Ref{q, i});
    }
  }
  std::string payload;
  // One message for refs [from, to); halved while it would exceed max_payload.
  std::function<void(size_t, const std::vector<Ref>&, size_t, size_t)> send =
      [&](size_t partition, const std::vector<Ref>& refs, size_t from, size_t to) {
        payload.clear();
        std::string id;
        const Envelope& first = taken[refs[from].queued].envelopes[refs[from].index];
        if (to - from == 1) {
          payload = taken[refs[from].queued].encoded[refs[from].index];
          id = MessageId(first, payload);
        } else {
          std::vector<std::string_view> entries;
          entries.reserve(to - from);
          for (size_t k = from; k < to; ++k) entries.push_back(taken[refs[k].queued].encoded[refs[k].index]);
          FrameEnvelopeList(entries, payload);
          if (max_payload > 0 && static_cast<int64_t>(payload.size()) > max_payload) {
            const size_t mid = from + (to - from) / 2;
            send(partition, refs, from, mid);
            send(partition, refs, mid, to);
            return;
          }
          id = ListMessageId(first, entries);
        }
        Parts parts;
        for (size_t k = from; k < to; ++k) {
          const auto& batch = taken[refs[k].queued].batch;
          if (!parts.empty() && parts.back().first == batch) {
            ++parts.back().second;
          } else {
            parts.push_back({batch, 1});
          }
        }
        std::vector<DurableCallback> failed;
        Status failure;
        natsMsg* msg = nullptr;
        const std::string subject = PartitionSubject(options_.prefix, partition);
        natsStatus ns = natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size()));
        {
          std::lock_guard lock(mu_);
          if (ns != NATS_OK) {
            failure = NatsError("cannot create a NATS message", ns);
          } else if (closed_) {
            failure = ClosedError();
          } else {
            pending_.emplace(msg, Pending{parts});
          }
          if (!failure.ok()) FailLocked(parts, failed);
        }
        if (failure.ok()) {
          jsPubOptions po;
          jsPubOptions_Init(&po);
          po.MsgId = id.c_str();
          po.MaxWait = options_.publish_timeout.count();
          ns = js_PublishMsgAsync(session_->js(), &msg, &po);
          if (ns != NATS_OK) {
            // libnats kept no reference (msg is still ours).
            failure = NatsError("JetStream publish failed", ns);
            std::lock_guard lock(mu_);
            if (pending_.erase(msg) > 0) FailLocked(parts, failed);
          }
        }
        if (!failure.ok()) natsMsg_Destroy(msg);
        for (auto& cb : failed) cb(failure);  // these devices must send again
      };
  const size_t group = std::max<size_t>(options_.group, 1);
  for (size_t p : order) {
    const auto& refs = by_partition[p];
    for (size_t from = 0; from < refs.size(); from += group) send(p, refs, from, std::min(refs.size(), from + group));
  }
}

void NatsPublisher::Close() {
  std::vector<DurableCallback> failed;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    // Slots of batches still being sent are released by their Publish.
    for (auto& [msg, p] : pending_) FailLocked(p.parts, failed);
    pending_.clear();
    for (auto& q : queued_) FailLocked(Parts{{q.batch, q.envelopes.size()}}, failed);
    queued_.clear();
    queued_envelopes_ = 0;
  }
  flush_cv_.notify_all();
  if (flusher_.joinable() && flusher_.get_id() != std::this_thread::get_id()) flusher_.join();
  for (auto& cb : failed) cb(ClosedError());
}

size_t NatsPublisher::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

}  // namespace fleetd::nats
