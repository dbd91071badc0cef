#include "process/processor.h"

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
  while (!stop_) {
    auto delivery = queue_.Fetch(options_.batch_size, options_.max_wait);
    if (!delivery) continue;
    const auto& batch = delivery->envelopes();
    auto written = store_.WriteBatch(batch);
    if (!written.ok()) {
      write_errors_.Add();
      delivery->Nack();
      std::this_thread::sleep_for(options_.retry_pause);
      continue;
    }
    batches_.Add();
    stored_.Add(written->positions_written);
    duplicates_.Add(written->duplicates);
    live_.Update(batch);
    delivery->Ack();
  }
}

}  // namespace fleetd
