// NatsEventSink: async publishes with ids, and waiting for their acks. A
// message is registered in Acks before libnats sees it, because its ack can
// arrive on a libnats thread before js_PublishMsgAsync returns; acks of
// messages no longer registered (a timed-out call's) are ignored.
#include "queue/nats/nats_event_sink.h"

#include <condition_variable>
#include <string>
#include <unordered_set>

#include "queue/nats/jetstream_setup.h"
#include "queue/nats/nats_session.h"
#include "queue/nats/nats_subjects.h"

namespace fleetd::nats {

struct NatsEventSink::Acks {
  std::mutex mu;
  std::condition_variable settled;
  std::unordered_set<natsMsg*> pending;  // this call's messages not acked yet
  std::string first_error;               // this call's first refused ack

  static void OnAck(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* pae, void* closure) {
    auto* acks = static_cast<Acks*>(closure);
    {
      std::lock_guard lock(acks->mu);
      if (acks->pending.erase(msg) != 0 && pae != nullptr && pae->Err != NATS_OK && acks->first_error.empty()) {
        acks->first_error = pae->ErrText != nullptr ? pae->ErrText : natsStatus_GetText(pae->Err);
      }
    }
    acks->settled.notify_all();
    natsMsg_Destroy(msg);  // ours to free (libnats hands it back)
  }
};

NatsEventSink::NatsEventSink(const NatsQueueOptions& options, std::shared_ptr<Acks> acks,
                             std::shared_ptr<NatsSession> session)
    : options_(options), acks_(std::move(acks)), session_(std::move(session)) {}

NatsEventSink::~NatsEventSink() = default;  // the session closes the connection

Result<std::unique_ptr<NatsEventSink>> NatsEventSink::Open(const NatsQueueOptions& options) {
  auto acks = std::make_shared<Acks>();
  auto session = NatsSession::Connect(options, &Acks::OnAck, acks);
  if (!session.ok()) return session.status();
  if (Status s = EnsureEventStream(**session, options); !s.ok()) return s;
  return std::unique_ptr<NatsEventSink>(new NatsEventSink(options, std::move(acks), std::move(*session)));
}

Result<std::unique_ptr<NatsEventSink>> NatsEventSink::Open(std::string_view url) {
  auto options = ParseNatsQueueUrl(url);
  if (!options.ok()) return options.status();
  return Open(*options);
}

Status NatsEventSink::Publish(std::span<const Event> events) {
  if (events.empty()) return Status::Ok();
  std::lock_guard call(publish_mu_);
  if (natsConnection_Status(session_->connection()) != NATS_CONN_STATUS_CONNECTED) {
    return Status(StatusCode::kIoError, "cannot publish events: not connected to NATS (reconnecting)");
  }
  {
    std::lock_guard lock(acks_->mu);
    acks_->pending.clear();
    acks_->first_error.clear();
  }
  Status failure;
  for (const Event& e : events) {
    const std::string subject = EventSubject(options_.prefix, e.tenant_id, e.type);
    const std::string id = EventMessageId(e.device_uid, e.ts, e.type);
    natsMsg* msg = nullptr;
    natsStatus ns = natsMsg_Create(&msg, subject.c_str(), nullptr, e.body_json.data(),
                                   static_cast<int>(e.body_json.size()));
    if (ns != NATS_OK) {
      failure = NatsError("cannot create a NATS message", ns);
      break;
    }
    natsMsg* const registered = msg;
    {
      std::lock_guard lock(acks_->mu);
      acks_->pending.insert(registered);
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = id.c_str();
    po.MaxWait = options_.publish_timeout.count();  // libnats fails the ack after this
    ns = js_PublishMsgAsync(session_->js(), &msg, &po);
    if (ns != NATS_OK) {
      // libnats kept no reference (msg is still ours): unregister it.
      failure = NatsError("cannot publish event to '" + subject + "'", ns);
      std::lock_guard lock(acks_->mu);
      acks_->pending.erase(registered);
      natsMsg_Destroy(msg);
      break;
    }
  }

  // Wait for the acks of what was sent, also after a send failure, so no
  // late ack of this call is mistaken for the next call's.
  std::unique_lock lock(acks_->mu);
  const bool all_settled = acks_->settled.wait_for(lock, options_.publish_timeout + std::chrono::milliseconds(500),
                                                   [&] { return acks_->pending.empty(); });
  std::string refused = acks_->first_error;
  const size_t missing = acks_->pending.size();
  acks_->pending.clear();  // late acks of this call are ignored from here on
  lock.unlock();
  if (!all_settled) {
    // Take them back from libnats (it would otherwise keep them until the
    // connection goes); the ids make a later retry safe.
    natsMsgList unacked;
    if (js_PublishAsyncGetPendingList(&unacked, session_->js()) == NATS_OK) natsMsgList_Destroy(&unacked);
  }
  if (!failure.ok()) return failure;
  if (!refused.empty()) return Status(StatusCode::kIoError, "JetStream refused an event: " + refused);
  if (!all_settled) {
    return Status(StatusCode::kIoError, std::to_string(missing) + " of " + std::to_string(events.size()) +
                                            " events not acknowledged by JetStream within " +
                                            std::to_string(options_.publish_timeout.count()) + " ms");
  }
  return Status::Ok();
}

}  // namespace fleetd::nats
