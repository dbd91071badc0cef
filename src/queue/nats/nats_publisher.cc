// NatsPublisher: window accounting, encoding, and ack bookkeeping. A message
// is registered in pending_ before libnats sees it, because its ack can
// arrive on another thread before js_PublishMsgAsync returns.
#include "queue/nats/nats_publisher.h"

#include <string>
#include <utility>

#include "queue/nats/envelope_codec.h"
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

}  // namespace

NatsPublisher::NatsPublisher(const NatsQueueOptions& options) : options_(options) {}

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

  // Encode everything before sending anything, so an unencodable envelope
  // refuses the whole batch untouched.
  const int64_t max_payload = natsConnection_GetMaxPayload(session_->connection());
  std::vector<natsMsg*> msgs(n, nullptr);
  std::vector<std::string> ids(n);
  std::string buf;
  auto destroy_all = [&] {
    for (natsMsg* m : msgs) natsMsg_Destroy(m);
  };
  for (size_t i = 0; i < n; ++i) {
    buf.clear();
    Status s = EncodeEnvelope(batch[i], buf);
    if (!s.ok()) {
      destroy_all();
      release(n);
      return s;
    }
    if (max_payload > 0 && static_cast<int64_t>(buf.size()) > max_payload) {
      destroy_all();
      release(n);
      return Status(StatusCode::kInvalidArgument, "an envelope of " + std::to_string(buf.size()) +
                                                      " bytes exceeds the NATS server's max_payload of " +
                                                      std::to_string(max_payload));
    }
    ids[i] = MessageId(batch[i], buf);
    const std::string subject =
        PartitionSubject(options_.prefix, PartitionOf(batch[i].message.device_uid, options_.partitions));
    natsStatus ns = natsMsg_Create(&msgs[i], subject.c_str(), nullptr, buf.data(), static_cast<int>(buf.size()));
    if (ns != NATS_OK) {
      destroy_all();
      release(n);
      return NatsError("cannot create a NATS message", ns);
    }
  }

  auto shared = std::make_shared<Batch>();
  shared->remaining = n;
  shared->on_durable = std::move(on_durable);
  size_t sent = 0;
  Status failure;
  bool closed = false;
  for (; sent < n; ++sent) {
    natsMsg* m = msgs[sent];
    {
      std::lock_guard lock(mu_);
      if (closed_) {
        failure = ClosedError();
        closed = true;
        break;
      }
      pending_.emplace(m, shared);
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = ids[sent].c_str();
    po.MaxWait = options_.publish_timeout.count();
    natsStatus ns = js_PublishMsgAsync(session_->js(), &msgs[sent], &po);
    if (ns != NATS_OK) {
      // libnats kept no reference (msgs[sent] is still ours): unregister it.
      failure = NatsError("JetStream publish failed", ns);
      std::lock_guard lock(mu_);
      pending_.erase(m);
      break;
    }
  }
  for (size_t i = sent; i < n; ++i) natsMsg_Destroy(msgs[i]);

  if (sent == 0) {
    release(n);
    if (closed) return failure;
    return Status(StatusCode::kBusy, failure.message());  // nothing left: the caller may retry the same batch
  }
  batch.clear();
  if (sent < n) {
    DurableCallback cb;
    {
      std::lock_guard lock(mu_);
      in_flight_ -= n - sent;
      shared->remaining -= n - sent;
      if (!shared->done) {
        shared->done = true;
        cb = std::move(shared->on_durable);
      }
    }
    if (cb) cb(failure);  // part of the batch never left: the device must send it again
  }
  return Status::Ok();
}

void NatsPublisher::OnAck(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* pae, void* closure) {
  static_cast<NatsPublisher*>(closure)->Settle(msg, pae);
  natsMsg_Destroy(msg);  // ours to free (libnats hands it back)
}

void NatsPublisher::Settle(natsMsg* msg, const jsPubAckErr* pae) {
  DurableCallback cb;
  Status status;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(msg);
    if (it == pending_.end()) return;  // failed by Close() already
    std::shared_ptr<Batch> batch = std::move(it->second);
    pending_.erase(it);
    --in_flight_;
    --batch->remaining;
    if (batch->done) return;
    if (pae != nullptr && pae->Err != NATS_OK) {
      std::string text = pae->ErrText != nullptr ? pae->ErrText : natsStatus_GetText(pae->Err);
      status = Status(StatusCode::kIoError, "JetStream did not acknowledge the message: " + text);
    } else if (batch->remaining != 0) {
      return;
    }
    batch->done = true;
    cb = std::move(batch->on_durable);
  }
  if (cb) cb(status);
}

void NatsPublisher::Close() {
  std::vector<DurableCallback> failed;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    in_flight_ -= pending_.size();  // slots of batches still being sent are released by their Publish
    for (auto& [msg, batch] : pending_) {
      if (!batch->done) {
        batch->done = true;
        if (batch->on_durable) failed.push_back(std::move(batch->on_durable));
      }
    }
    pending_.clear();
  }
  for (auto& cb : failed) cb(ClosedError());
}

size_t NatsPublisher::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

}  // namespace fleetd::nats
