// NatsPublisher: the producing half of NatsQueue. Publishes the envelopes of
// a batch asynchronously to their partition subjects — those of one
// partition together, up to `group` per JetStream message — and calls the
// batch's DurableCallback once JetStream has acknowledged all of them (or
// with an error as soon as one fails or is not acknowledged within
// publish_timeout).
//
// A bounded window of un-acknowledged envelopes is the backpressure: a batch
// that does not fit is refused with kBusy and left untouched, so a listener
// stops reading its device instead of fleetd buffering without limit. The
// window is ours, not libnats' (which would block the caller for StallWait).
#pragma once

#include <nats/nats.h>

#include <cstddef>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <span>
#include <thread>
#include <utility>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleetd/queue.h"
#include "queue/nats/nats_queue_options.h"

namespace fleetd::nats {

class NatsSession;

class NatsPublisher {
 public:
  explicit NatsPublisher(const NatsQueueOptions& options);
  ~NatsPublisher();  // Close()s and joins the flusher
  NatsPublisher(const NatsPublisher&) = delete;
  NatsPublisher& operator=(const NatsPublisher&) = delete;

  // Must be called once, before Publish, with the session whose JetStream
  // context routes its acks to OnAck (closure = this). The session owns the
  // publisher (it must outlive libnats' callbacks), so this is not owning;
  // the queue keeps the session alive for as long as Publish may be called.
  void Attach(NatsSession* session) { session_ = session; }

  // The Queue::Publish contract. Errors that leave `batch` untouched: kBusy
  // (window full, or the connection is down and reconnecting),
  // kInvalidArgument (larger than the window, or an envelope that cannot be
  // encoded), kIoError (closed). Once the batch is encoded the call returns
  // ok, and every later failure (sending, acks, Close) arrives through
  // `on_durable`.
  Status Publish(std::vector<Envelope>&& batch, DurableCallback on_durable);

  // Fails every batch still waiting for acks (kIoError) and refuses later
  // publishes. Acks that arrive afterwards are ignored. Idempotent.
  void Close();

  // Envelopes handed to JetStream and not acknowledged yet.
  size_t in_flight() const;

  // libnats' jsPubAckHandler (runs on a libnats thread; closure = this).
  static void OnAck(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);

 private:
  struct Batch;
  void Settle(natsMsg* msg, const jsPubAckErr* pae);

  // A message carries envelopes of one or (lingering) several batches.
  using Parts = std::vector<std::pair<std::shared_ptr<Batch>, size_t>>;  // batch, envelopes in the message
  // With mu_ held: the parts' envelopes will never be acked; their window
  // slots are released and their batches failed (callbacks to `out`).
  void FailLocked(const Parts& parts, std::vector<DurableCallback>& out);

  // A batch encoded at Publish, to be sent at once or by the flusher.
  struct Queued {
    std::vector<Envelope> envelopes;
    std::vector<std::string> encoded;  // each envelope's EncodeEnvelope bytes
    std::shared_ptr<Batch> batch;
  };
  // Encodes `batch` (moved from only on success); kInvalidArgument for an
  // envelope that cannot be queued (too long a string, above max_payload).
  Result<Queued> Prepare(std::vector<Envelope>& batch, DurableCallback on_durable);
  // linger > 0: hands the batch to the flusher (fails it if closed).
  void Enqueue(Queued queued);
  void RunFlusher();
  // Sends batches: per partition, in order, up to `group` envelopes per
  // message from any of them; failures go to the batches' callbacks.
  void SendQueued(std::vector<Queued>& taken);

  const NatsQueueOptions options_;
  NatsSession* session_ = nullptr;
  mutable std::mutex mu_;
  struct Pending {
    Parts parts;
  };
  std::unordered_map<natsMsg*, Pending> pending_;  // by the message libnats holds
  size_t in_flight_ = 0;  // reserved window slots (pending_ plus batches being sent)
  std::vector<Queued> queued_;  // linger > 0: not sent yet
  size_t queued_envelopes_ = 0;
  std::condition_variable flush_cv_;
  std::thread flusher_;
  bool closed_ = false;
};

}  // namespace fleetd::nats
