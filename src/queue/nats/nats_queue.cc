// NatsQueue: start-up (connect, stream, consumers) and the Queue methods,
// which delegate to the publisher and the consumer.
#include "queue/nats/nats_queue.h"

#include <utility>

#include "queue/nats/jetstream_setup.h"
#include "queue/nats/nats_subjects.h"

namespace fleetd::nats {

NatsQueue::NatsQueue(const NatsQueueOptions& options)
    : options_(options), publisher_(std::make_shared<NatsPublisher>(options)) {}

Result<std::unique_ptr<NatsQueue>> NatsQueue::Open(std::string_view url) {
  auto options = ParseNatsQueueUrl(url);
  if (!options.ok()) return options.status();
  return Open(*options);
}

Result<std::unique_ptr<NatsQueue>> NatsQueue::Open(const NatsQueueOptions& options) {
  std::unique_ptr<NatsQueue> q(new NatsQueue(options));
  auto session = NatsSession::Connect(options, &NatsPublisher::OnAck, q->publisher_);
  if (!session.ok()) return session.status();
  q->session_ = std::move(*session);
  q->publisher_->Attach(q->session_.get());
  if (Status s = EnsureStream(*q->session_, options); !s.ok()) return s;
  auto consumers = EnsureConsumers(*q->session_, options);
  if (!consumers.ok()) return consumers.status();
  auto consumer = NatsConsumer::Open(q->session_, options, *consumers);
  if (!consumer.ok()) return consumer.status();
  q->consumer_ = std::move(*consumer);
  return q;
}

NatsQueue::~NatsQueue() {
  Close();
  if (consumer_) consumer_->Stop();  // joins the threads, gives leases back while connected
  if (session_) session_->Close();   // later acks fail
  consumer_.reset();
  // The session (with the JetStream context, which owns the publisher for
  // its callbacks) is freed here unless a Delivery still holds it.
  session_.reset();
}

Status NatsQueue::Publish(std::vector<Envelope>&& batch, DurableCallback on_durable) {
  return publisher_->Publish(std::move(batch), std::move(on_durable));
}

std::unique_ptr<Delivery> NatsQueue::Fetch(size_t max_messages, std::chrono::milliseconds wait) {
  return consumer_->Fetch(max_messages, wait);
}

void NatsQueue::CrashForTest() {
  if (session_) session_->Close();  // no renewals, no release, no acks: as if killed
}

void NatsQueue::Close() {
  publisher_->Close();
  if (consumer_) consumer_->Close();
}

size_t NatsQueue::depth() const {
  size_t total = publisher_->in_flight();
  for (size_t p = 0; p < options_.partitions; ++p) {
    const std::string name = ConsumerName(options_.durable, p);
    jsConsumerInfo* ci = nullptr;
    if (js_GetConsumerInfo(&ci, session_->js(), options_.stream.c_str(), name.c_str(), nullptr, nullptr) != NATS_OK) {
      continue;
    }
    total += static_cast<size_t>(ci->NumPending) + static_cast<size_t>(std::max<int64_t>(ci->NumAckPending, 0));
    jsConsumerInfo_Destroy(ci);
  }
  return total;
}

}  // namespace fleetd::nats
