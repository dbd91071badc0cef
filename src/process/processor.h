// Processor: the consumer stage — queue -> live state and durable store.
//
// Each worker thread gathers a batch, handing each delivery to the live
// updater thread as it is fetched, and writes the batch in one transaction.
// The live update (which feeds WebSocket clients) waits neither for the
// rest of the gather (up to max_wait) nor for the write: a dashboard sees a
// fix as soon as it is fetched, not a gather and a commit (an fsync, tens
// of ms under load) later. The live state is the last known position, not
// the record: the record is the store, and nothing is acknowledged before
// it is written.
// Once the batch is durable the worker tells the queue (Delivery::Stored:
// the batch's partitions may be fetched again) and hands it to the
// finisher thread, which waits for its live update, publishes its events
// (with an EventSink; process/batch_events.h) and hands it to the acker
// thread, which acks the batch, releasing the devices' acknowledgements.
// So a batch is acked only once it is written, live and its events are
// durable (at-least-once, never before the store write), and the next
// write overlaps the last one's finishing and ack round trip. One live
// updater taking deliveries in the order they were fetched, and one
// finisher in the order their writes completed, keep each device's
// updates in order (a device's next batch is gathered only after its last
// one is written). A failed write nacks the batch for redelivery after a
// pause; idempotent writes make that safe, and the redelivered messages
// reach the live state again (newest-wins there, so it holds the same).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
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
  size_t max_finishing = 4;       // batches queued for the live update, and written ones for events + ack
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
  // A gathered batch, shared by its writer, the live updater and (once
  // written) the finisher.
  class Batch {
   public:
    std::vector<std::unique_ptr<Delivery>> deliveries;
    std::vector<Envelope> combined;  // the envelopes when there are several deliveries
    std::span<const Envelope> envelopes() const {
      return deliveries.size() == 1 ? std::span<const Envelope>(deliveries.front()->envelopes()) : combined;
    }
    // Live updates of its envelopes: each part is queued for the live
    // updater as soon as it is fetched (AddLive), and done with it once the
    // updater called MarkLive. The ack waits for all of them, and so do a
    // failed write's give-back (which changes the deliveries' envelopes);
    // Delivery::TakeMore (which does too) runs only when LiveDone().
    void AddLive() {
      std::lock_guard lock(live_mu_);
      ++live_pending_;
    }
    void MarkLive() {
      {
        std::lock_guard lock(live_mu_);
        --live_pending_;
      }
      live_done_.notify_all();
    }
    bool LiveDone() {
      std::lock_guard lock(live_mu_);
      return live_pending_ == 0;
    }
    void WaitLive() {
      std::unique_lock lock(live_mu_);
      live_done_.wait(lock, [&] { return live_pending_ == 0; });
    }

   private:
    std::mutex live_mu_;
    std::condition_variable live_done_;
    int live_pending_ = 0;
  };
  // Envelopes of a batch for the live updater: one delivery's, or what
  // TakeMore added to one.
  struct LivePart {
    std::shared_ptr<Batch> batch;
    std::span<const Envelope> envelopes;
  };
  // A batch whose live update and events are done, on its way to the acker.
  struct Finished {
    std::vector<std::unique_ptr<Delivery>> deliveries;
    bool give_back = false;  // nack instead of ack (its events were not published)
  };
  void Run();
  void RunLiveUpdater();
  // Queues `envelopes` (of `batch`'s deliveries) for the live updater.
  void QueueLive(const std::shared_ptr<Batch>& batch, std::span<const Envelope> envelopes);
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
  std::thread live_updater_;
  // Writers -> live updater, each delivery as it is fetched (its live
  // update does not wait for the rest of the gather nor for the write).
  HandoffQueue<LivePart> updating_;
  std::thread finisher_;
  HandoffQueue<std::shared_ptr<Batch>> finishing_;  // writers -> finisher, once written; closed by Stop once the writers are done
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
  Counter& handoff_us_;  // writers waiting for the live updater or the finisher (the slower sides)
  Counter& batch_messages_;
  Counter& events_published_;
  Counter& event_errors_;  // failed EventSink::Publish calls (each retried)
  Counter& events_us_;     // the finisher's time publishing events
};

}  // namespace fleetd
