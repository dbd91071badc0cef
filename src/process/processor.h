// Processor: the consumer stage — queue -> durable store -> live state.
//
// Each worker thread fetches a batch, writes it in one transaction, updates
// the live state (which feeds WebSocket clients) and only then acks the
// batch, which releases the devices' acknowledgements. A failed write nacks
// the batch for redelivery after a pause; idempotent writes make that safe.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "fleetd/live_state.h"
#include "fleetd/queue.h"
#include "fleetd/store.h"

namespace fleetd {

struct ProcessorOptions {
  size_t workers = 1;             // SQLite has one writer; servers may use more
  size_t batch_size = 1000;       // max messages per transaction
  std::chrono::milliseconds max_wait{20};   // max delay before a partial batch is written
  std::chrono::milliseconds retry_pause{200};
};

class Processor {
 public:
  Processor(Queue& queue, Store& store, LiveState& live, Metrics& metrics, ProcessorOptions options);
  ~Processor();

  void Start();
  // Finishes the batch in hand, then returns. Close the queue first to stop
  // promptly. Idempotent.
  void Stop();

 private:
  void Run();

  Queue& queue_;
  Store& store_;
  LiveState& live_;
  ProcessorOptions options_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  Counter& stored_;
  Counter& duplicates_;
  Counter& batches_;
  Counter& write_errors_;
};

}  // namespace fleetd
