// Processor: the consumer stage — queue -> durable store -> live state.
//
// Each worker thread gathers a batch and writes it in one transaction. Once
// it is durable the worker tells the queue (Delivery::Stored: the batch's
// partitions may be fetched again) and hands it to the finisher thread,
// which updates the live state (which feeds WebSocket clients) and then
// hands it to the acker thread, which acks the batch, releasing the
// devices' acknowledgements. With an
// EventSink, the batch's events (process/batch_events.h) are published
// between the live update and the ack, so a batch is acked only once its
// events are durable too (at-least-once, never before the store write). So the next
// write overlaps the live update and the ack round trip of the last one,
// and the finisher, one thread taking batches in the order their writes
// completed, keeps each device's live updates in order. A failed write
// nacks the batch for redelivery after a pause; idempotent writes make that
// safe.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "fleetd/event_sink.h"
#include "fleetd/live_state.h"
#include "fleetd/queue.h"
#include "fleetd/store.h"
#include "process/handoff_queue.h"

namespace fleetd {

struct ProcessorOptions {
  size_t workers = 1;             // SQLite has one writer; servers may use more
  size_t batch_size = 1000;       // max messages per transaction
  std::chrono::milliseconds max_wait{20};   // max delay before a partial batch is written
  std::chrono::milliseconds retry_pause{200};
  size_t max_finishing = 4;       // written batches waiting for live update + ack
};

class Processor {
 public:
  // `events` (not owned; may be null: nothing is published) must outlive
  // the processor. A batch whose events cannot be published is not acked:
  // the finisher publishes it again every retry_pause until it succeeds,
  // holding back the acks of later batches meanwhile (an ack of a later
  // message would also ack this one, JetStream's AckAll, and the memory
  // queue treats a nack after the write as done: giving the batch back
  // would lose its events). A Stop during that nacks it and every batch
  // after it instead, for the next process to write and publish again.
  Processor(Queue& queue, Store& store, LiveState& live, Metrics& metrics, ProcessorOptions options,
            EventSink* events = nullptr);
  ~Processor();

  void Start();
  // Finishes the batch in hand, then returns. Close the queue first to stop
  // promptly. Idempotent.
  void Stop();

 private:
  // A durable batch on its way to the live state and the ack.
  struct Written {
    std::vector<std::unique_ptr<Delivery>> deliveries;
    std::vector<Envelope> combined;  // the envelopes when there are several deliveries
    std::span<const Envelope> envelopes() const {
      return deliveries.size() == 1 ? std::span<const Envelope>(deliveries.front()->envelopes()) : combined;
    }
  };
  // A batch whose live update and events are done, on its way to the acker.
  struct Finished {
    std::vector<std::unique_ptr<Delivery>> deliveries;
    bool give_back = false;  // nack instead of ack (its events were not published)
  };
  void Run();
  void RunFinisher();
  void RunAcker();
  // Publishes the batch's events, retrying while not stopping. False: given
  // up (stopping), the batch must not be acked.
  bool PublishEvents(std::span<const Envelope> batch);

  Queue& queue_;
  Store& store_;
  LiveState& live_;
  EventSink* events_;  // may be null
  ProcessorOptions options_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::thread finisher_;
  HandoffQueue<Written> finishing_;  // writers -> finisher; closed by Stop once the writers are done
  // The acks run on their own thread: a confirmed ack is a server round
  // trip, and done by the finisher it left the live update of the next batch
  // waiting (the finisher was the stage's slowest step under load). One
  // thread, taking batches in the finisher's order, keeps acks in write order.
  std::thread acker_;
  HandoffQueue<Finished> acking_;  // finisher -> acker; closed by Stop once the finisher is done
  Counter& stored_;
  Counter& duplicates_;
  Counter& batches_;
  Counter& write_errors_;
  // Where a worker's time goes, per step (µs): gathering a batch from the
  // queue, the store write, the live-state update, the acks. The sum over
  // workers shows whether the stage waits on the queue or on a server.
  Counter& gather_us_;
  Counter& write_us_;
  Counter& live_us_;
  Counter& ack_us_;
  Counter& handoff_us_;  // writers waiting for the finisher (it is the slower side)
  Counter& batch_messages_;
  Counter& events_published_;
  Counter& event_errors_;  // failed EventSink::Publish calls (each retried)
  Counter& events_us_;     // the finisher's time publishing events
};

}  // namespace fleetd
