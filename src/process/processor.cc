// Processor: workers that gather and write batches, the live updater (in
// gather order), the finisher that publishes events and the acker (in write
// order).
#include "process/processor.h"

#include <span>

#include "core/thread_name.h"
#include "process/batch_events.h"

namespace fleetd {
namespace {

constexpr const char* kStepMetric = "fleetd_process_step_microseconds_total";
constexpr const char* kStepHelp = "Processor worker time per step: gather, write, live, events, ack";

// Microseconds since `since`, and moves `since` to now.
int64_t Lap(std::chrono::steady_clock::time_point& since) {
  const auto now = std::chrono::steady_clock::now();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - since).count();
  since = now;
  return us;
}

// The live updater's queue holds this many deliveries per batch of
// max_finishing: a gather usually takes a few, and a full queue only holds
// a writer back.
constexpr size_t kLivePartsPerBatch = 16;

}  // namespace

Processor::Processor(Queue& queue, Store& store, LiveState& live, Metrics& metrics, ProcessorOptions options,
                     EventSink* events)
    : queue_(queue),
      store_(store),
      live_(live),
      events_(events),
      options_(options),
      // A batch's deliveries each go to the live updater on their own.
      updating_(options.max_finishing * kLivePartsPerBatch),
      finishing_(options.max_finishing),
      acking_(options.max_finishing),
      stored_(metrics.GetCounter("fleetd_positions_stored_total", {}, "New position rows written")),
      duplicates_(metrics.GetCounter("fleetd_positions_duplicate_total", {},
                                     "Messages already stored (retransmits, replays)")),
      batches_(metrics.GetCounter("fleetd_store_batches_total", {}, "Store transactions committed")),
      write_errors_(metrics.GetCounter("fleetd_store_errors_total", {}, "Failed store transactions")),
      gather_us_(metrics.GetCounter(kStepMetric, {{"step", "gather"}}, kStepHelp)),
      write_us_(metrics.GetCounter(kStepMetric, {{"step", "write"}}, kStepHelp)),
      live_us_(metrics.GetCounter(kStepMetric, {{"step", "live"}}, kStepHelp)),
      ack_us_(metrics.GetCounter(kStepMetric, {{"step", "ack"}}, kStepHelp)),
      handoff_us_(metrics.GetCounter(kStepMetric, {{"step", "handoff"}}, kStepHelp)),
      batch_messages_(metrics.GetCounter("fleetd_process_batch_messages_total", {},
                                         "Messages in the batches written (divide by fleetd_store_batches_total)")),
      events_published_(metrics.GetCounter("fleetd_events_published_total", {},
                                           "Events published to the event sink (republished ones included)")),
      event_errors_(metrics.GetCounter("fleetd_events_publish_errors_total", {},
                                       "Failed event publishes (the batch is retried, its ack held back)")),
      events_us_(metrics.GetCounter(kStepMetric, {{"step", "events"}}, kStepHelp)) {}

Processor::~Processor() { Stop(); }

void Processor::Start() {
  if (finisher_.joinable()) return;
  updating_.Open();
  finishing_.Open();
  acking_.Open();
  acker_ = std::thread([this] {
    SetThreadName("acker");
    RunAcker();
  });
  finisher_ = std::thread([this] {
    SetThreadName("finisher");
    RunFinisher();
  });
  live_updater_ = std::thread([this] {
    SetThreadName("live-updater");
    RunLiveUpdater();
  });
  for (size_t i = 0; i < std::max<size_t>(options_.workers, 1); ++i) {
    threads_.emplace_back([this, i] {
      SetThreadName("writer-" + std::to_string(i));
      Run();
    });
  }
}

void Processor::Stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  updating_.Close();
  if (live_updater_.joinable()) live_updater_.join();  // after every gathered batch is live
  finishing_.Close();
  if (finisher_.joinable()) finisher_.join();  // after it finished every written batch
  acking_.Close();
  if (acker_.joinable()) acker_.join();  // after it acked (or gave back) every finished batch
}

bool Processor::PublishEvents(std::span<const Envelope> batch) {
  const std::vector<Event> events = BatchEvents(batch);
  if (events.empty()) return true;
  while (true) {
    Status s = events_->Publish(events);
    if (s.ok()) {
      events_published_.Add(static_cast<int64_t>(events.size()));
      return true;
    }
    event_errors_.Add();
    if (stop_) return false;
    std::this_thread::sleep_for(options_.retry_pause);
  }
}

void Processor::RunLiveUpdater() {
  while (std::optional<LivePart> next = updating_.Pop()) {  // until the writers are done and it is drained
    auto lap = std::chrono::steady_clock::now();
    live_.Update(next->envelopes);
    live_us_.Add(Lap(lap));
    next->batch->MarkLive();
  }
}

void Processor::QueueLive(const std::shared_ptr<Batch>& batch, std::span<const Envelope> envelopes) {
  if (envelopes.empty()) return;
  batch->AddLive();
  updating_.Push(LivePart{batch, envelopes});
}

void Processor::RunFinisher() {
  // Once a batch is given back, every later one is too: acking a later
  // message would also ack the given-back ones on an AckAll queue.
  bool giving_back = false;
  while (std::optional<std::shared_ptr<Batch>> next = finishing_.Pop()) {  // until the writers are done and it is drained
    Batch& b = **next;
    b.WaitLive();  // started before the write: rarely still running
    auto lap = std::chrono::steady_clock::now();
    if (events_ != nullptr && !giving_back) {
      giving_back = !PublishEvents(b.envelopes());
      events_us_.Add(Lap(lap));
    }
    acking_.Push(Finished{std::move(b.deliveries), giving_back});
  }
}

void Processor::RunAcker() {
  while (std::optional<Finished> next = acking_.Pop()) {  // until the finisher is done and it is drained
    Finished& f = *next;
    auto lap = std::chrono::steady_clock::now();
    for (auto& d : f.deliveries) {
      if (f.give_back) {
        d->Nack();  // after Stored(): the queue delivers it again (a rewrite, then the events)
      } else {
        d->Ack();
      }
    }
    ack_us_.Add(Lap(lap));
  }
}

void Processor::Run() {
  while (!stop_) {
    auto shared = std::make_shared<Batch>();
    Batch& w = *shared;
    auto& deliveries = w.deliveries;
    auto& combined = w.combined;
    // Gather up to batch_size messages, waiting at most max_wait after the
    // first: one transaction (one fsync) per batch is what makes the store
    // keep up, whatever size of deliveries the queue hands out.
    auto lap = std::chrono::steady_clock::now();
    auto first = queue_.Fetch(options_.batch_size, options_.max_wait);
    if (!first) continue;
    size_t count = 0;
    // Each delivery's live update starts as it arrives: a dashboard does not
    // wait for the rest of the gather (up to max_wait) nor for the write.
    auto add = [&](std::unique_ptr<Delivery> d) {
      count += d->envelopes().size();
      deliveries.push_back(std::move(d));
      QueueLive(shared, deliveries.back()->envelopes());
    };
    add(std::move(first));
    const auto deadline = std::chrono::steady_clock::now() + options_.max_wait;
    while (count < options_.batch_size && !stop_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto more = queue_.Fetch(options_.batch_size - count, left);
      if (!more) break;
      add(std::move(more));
    }
    // What arrived meanwhile on the partitions this batch holds: no other
    // worker may take it before this batch is written, so it joins now
    // instead of waiting for this write and a whole next gather. TakeMore
    // appends to a delivery's envelopes, so only once their live updates
    // are done (normally so by now: they ran during the gather); otherwise
    // the next gather takes it, and the write does not wait for the live
    // updater.
    if (count < options_.batch_size && w.LiveDone()) {
      for (auto& d : deliveries) {
        if (count >= options_.batch_size) break;
        const size_t before = d->envelopes().size();
        const size_t added = d->TakeMore(options_.batch_size - count);
        count += added;
        if (added > 0) QueueLive(shared, std::span<const Envelope>(d->envelopes()).subspan(before));
      }
    }
    if (deliveries.size() > 1) {
      combined.reserve(count);
      for (const auto& d : deliveries) combined.insert(combined.end(), d->envelopes().begin(), d->envelopes().end());
    }
    const std::span<const Envelope> batch = w.envelopes();
    gather_us_.Add(Lap(lap));
    auto written = store_.WriteBatch(batch);
    write_us_.Add(Lap(lap));
    if (!written.ok()) {
      write_errors_.Add();
      w.WaitLive();
      for (auto& d : deliveries) d->Nack();
      std::this_thread::sleep_for(options_.retry_pause);
      continue;
    }
    batches_.Add();
    stored_.Add(written->positions_written);
    duplicates_.Add(written->duplicates);
    batch_messages_.Add(static_cast<int64_t>(batch.size()));
    // Released and queued in one step under the queue's lock: no other
    // writer can fetch, write and queue these partitions' next messages in
    // between, so the finisher sees each device's batches in write order.
    finishing_.Push(std::move(shared), [](std::shared_ptr<Batch>& queued) {
      for (auto& d : queued->deliveries) d->Stored();
    });
    handoff_us_.Add(Lap(lap));
  }
}

}  // namespace fleetd
