#include "process/processor.h"

#include <span>

namespace fleetd {

Processor::Processor(Queue& queue, Store& store, LiveState& live, Metrics& metrics, ProcessorOptions options)
    : queue_(queue),
      store_(store),
      live_(live),
      options_(options),
      stored_(metrics.GetCounter("fleetd_positions_stored_total", {}, "New position rows written")),
      duplicates_(metrics.GetCounter("fleetd_positions_duplicate_total", {},
                                     "Messages already stored (retransmits, replays)")),
      batches_(metrics.GetCounter("fleetd_store_batches_total", {}, "Store transactions committed")),
      write_errors_(metrics.GetCounter("fleetd_store_errors_total", {}, "Failed store transactions")) {}

Processor::~Processor() { Stop(); }

void Processor::Start() {
  for (size_t i = 0; i < std::max<size_t>(options_.workers, 1); ++i) {
    threads_.emplace_back([this] { Run(); });
  }
}

void Processor::Stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Processor::Run() {
  std::vector<std::unique_ptr<Delivery>> deliveries;
  std::vector<Envelope> combined;
  while (!stop_) {
    // Gather up to batch_size messages, waiting at most max_wait after the
    // first: one transaction (one fsync) per batch is what makes the store
    // keep up, whatever size of deliveries the queue hands out.
    deliveries.clear();
    auto first = queue_.Fetch(options_.batch_size, options_.max_wait);
    if (!first) continue;
    size_t count = first->envelopes().size();
    deliveries.push_back(std::move(first));
    const auto deadline = std::chrono::steady_clock::now() + options_.max_wait;
    while (count < options_.batch_size && !stop_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto more = queue_.Fetch(options_.batch_size - count, left);
      if (!more) break;
      count += more->envelopes().size();
      deliveries.push_back(std::move(more));
    }
    std::span<const Envelope> batch = deliveries.front()->envelopes();
    if (deliveries.size() > 1) {
      combined.clear();
      combined.reserve(count);
      for (const auto& d : deliveries) combined.insert(combined.end(), d->envelopes().begin(), d->envelopes().end());
      batch = combined;
    }
    auto written = store_.WriteBatch(batch);
    if (!written.ok()) {
      write_errors_.Add();
      for (auto& d : deliveries) d->Nack();
      std::this_thread::sleep_for(options_.retry_pause);
      continue;
    }
    batches_.Add();
    stored_.Add(written->positions_written);
    duplicates_.Add(written->duplicates);
    live_.Update(batch);
    for (auto& d : deliveries) d->Ack();
  }
}

}  // namespace fleetd
