// nats_queue_benchmark: publish + fetch + ack throughput of ~200-byte
// envelopes through NatsQueue and a local nats-server (started here, file
// storage in a temp dir). Not a test: it prints numbers for
// docs/performance.md. Build it in a Release tree:
//
//   cmake -S . -B build/natsbench -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build/natsbench --target nats_queue_benchmark
//   build/natsbench/src/queue/nats/nats_queue_benchmark [messages] [batch] [consumers]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/envelope_codec.h"
#include "queue/nats/nats_queue.h"
#include "queue/nats/nats_test_server.h"

namespace {

using Clock = std::chrono::steady_clock;

fleetd::Envelope Sample(int device, int64_t seq) {
  fleetd::Envelope e;
  e.tenant_id = 1;
  e.device_id = device;
  auto& m = e.message;
  m.device_uid = "3597100400" + std::to_string(10000 + device);
  m.protocol = "gt06";
  m.ts = 1767225600000 + seq * 1000;
  m.received_at = *m.ts + 150;
  m.valid = true;
  m.lat = 52.5 + device * 1e-4;
  m.lng = 13.4 + seq * 1e-6;
  m.speed_kmh = 42.5;
  m.heading = 181;
  m.satellites = 9;
  m.ignition = true;
  m.power_v = 12.7;
  m.cell = fleetd::CellTower{262, 1, 1234, 56789};
  m.attributes.Set("course_status", int64_t{0x1534});
  m.attributes.Set("gps_status", std::string("fixed"));
  m.attributes.Set("gsm_signal", int64_t{4});
  return e;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int total = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int batch_size = argc > 2 ? std::atoi(argv[2]) : 100;
  const int consumers = argc > 3 ? std::atoi(argv[3]) : 1;
  constexpr int kDevices = 1000;

  fleetd::nats::test::NatsTestServer server;
  if (std::string err = server.Start(); !err.empty()) {
    std::fprintf(stderr, "cannot start nats-server: %s\n", err.c_str());
    return 1;
  }
  auto opened = fleetd::nats::NatsQueue::Open(server.url() + "?stream=BENCH&prefix=bench&max_bytes=4GiB");
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  auto& q = *opened;
  std::string probe;
  (void)fleetd::EncodeEnvelope(Sample(1, 1), probe);
  std::printf("messages %d, encoded size %zu bytes, publish batch %d, window %zu, partitions %zu, consumers %d\n",
              total, probe.size(), batch_size, q->options().window, q->options().partitions, consumers);

  std::atomic<int> durable{0}, failed{0}, acked{0};
  std::atomic<int64_t> busy{0};
  Clock::time_point published_at{};
  const auto start = Clock::now();
  std::thread producer([&] {
    int sent = 0;
    std::vector<fleetd::Envelope> batch;
    while (sent < total) {
      if (batch.empty()) {
        for (int i = 0; i < batch_size && sent + i < total; ++i)
          batch.push_back(Sample((sent + i) % kDevices, sent + i));
      }
      size_t n = batch.size();
      fleetd::Status s = q->Publish(
          std::move(batch), [&, n](const fleetd::Status& st) { (st.ok() ? durable : failed) += static_cast<int>(n); });
      if (s.code() == fleetd::StatusCode::kBusy) {
        ++busy;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      if (!s.ok()) {
        std::fprintf(stderr, "publish: %s\n", s.ToString().c_str());
        std::exit(1);
      }
      batch.clear();
      sent += static_cast<int>(n);
    }
    while (durable + failed < total) std::this_thread::sleep_for(std::chrono::microseconds(200));
    published_at = Clock::now();
  });
  std::vector<std::thread> workers;
  for (int c = 0; c < consumers; ++c) {
    workers.emplace_back([&] {
      while (acked < total && Clock::now() - start < std::chrono::minutes(5)) {
        auto d = q->Fetch(1000, std::chrono::milliseconds(100));
        if (!d) continue;
        int n = static_cast<int>(d->envelopes().size());
        d->Ack();
        acked += n;
      }
    });
  }
  producer.join();
  for (auto& w : workers) w.join();
  const auto end = Clock::now();

  std::printf("publish: %d durable, %d failed, %lld kBusy retries, %.0f msg/s until the last JetStream ack\n",
              durable.load(), failed.load(), static_cast<long long>(busy.load()),
              total / Seconds(published_at - start));
  std::printf("publish+fetch+ack: %d acked in %.2f s = %.0f msg/s end to end\n", acked.load(), Seconds(end - start),
              acked / Seconds(end - start));
  std::printf("depth after: %zu, poison %llu, ack errors %llu\n", q->depth(),
              static_cast<unsigned long long>(q->consumer().poison_messages()),
              static_cast<unsigned long long>(q->consumer().ack_errors()));
  return acked == total && failed == 0 ? 0 : 1;
}
