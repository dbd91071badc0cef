// RedisLiveState throughput against a real redis-server on loopback, started
// here: newer-wins batch writes (messages/s), and the reads an API node does
// (snapshot of a 10,000-device tenant, a "near" query, one Get).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>

#include "live/redis/redis_live_state.h"
#include "live/redis/redis_test_server.h"

namespace fleetd {
namespace {

constexpr int kDevices = 10'000;

testing::RedisTestServer* Server() {
  static std::string error;
  static std::unique_ptr<testing::RedisTestServer> server = testing::RedisTestServer::Start(&error);
  if (!server) std::fprintf(stderr, "%s\n", error.c_str());
  return server.get();
}

std::unique_ptr<RedisLiveState> Open(const std::string& prefix) {
  if (!Server()) return nullptr;
  RedisLiveStateOptions o;
  o.endpoint.host = "127.0.0.1";
  o.endpoint.port = Server()->port();
  o.key_prefix = prefix;
  auto live = RedisLiveState::Open(o);
  return live.ok() ? std::move(*live) : nullptr;
}

// A GT06-like located message of device `i`, spread over ~20 km.
Envelope Located(int i, TimestampMs ts) {
  Envelope e;
  e.tenant_id = 1;
  e.device_id = i;
  e.message.device_uid = "35971004" + std::to_string(1'000'000 + i);
  e.message.protocol = "gt06";
  e.message.ts = ts;
  e.message.received_at = ts + 300;
  e.message.valid = true;
  e.message.lat = 52.4 + (i % 100) * 0.002;
  e.message.lng = 13.3 + (i / 100) * 0.003;
  e.message.speed_kmh = 42.5;
  e.message.heading = 180;
  e.message.satellites = 9;
  e.message.cell = CellTower{262, 1, 1234, 56789};
  return e;
}

void BM_UpdateBatch(benchmark::State& state) {
  auto live = Open("bench-update");
  if (!live) return state.SkipWithError("no redis");
  const int batch_size = static_cast<int>(state.range(0));
  std::vector<Envelope> batch(batch_size);
  TimestampMs ts = 1'700'000'000'000;
  int next = 0;
  for (auto _ : state) {
    for (auto& e : batch) e = Located(next++ % kDevices, ++ts);
    live->Update(batch);
  }
  state.SetItemsProcessed(state.iterations() * batch_size);
  if (live->stats().update_failures != 0) state.SkipWithError("update failures");
}
BENCHMARK(BM_UpdateBatch)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();

std::unique_ptr<RedisLiveState> Fleet(const std::string& prefix) {
  auto live = Open(prefix);
  if (!live) return nullptr;
  std::vector<Envelope> batch;
  for (int i = 0; i < kDevices; ++i) batch.push_back(Located(i, 1'700'000'000'000));
  live->Update(batch);
  return live;
}

void BM_Snapshot10k(benchmark::State& state) {
  auto live = Fleet("bench-snapshot");
  if (!live) return state.SkipWithError("no redis");
  for (auto _ : state) {
    auto all = live->Snapshot(1);
    if (all.size() != kDevices) return state.SkipWithError("wrong snapshot size");
  }
  state.SetItemsProcessed(state.iterations() * kDevices);
}
BENCHMARK(BM_Snapshot10k)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Near1km(benchmark::State& state) {
  auto live = Fleet("bench-near");
  if (!live) return state.SkipWithError("no redis");
  size_t found = 0;
  for (auto _ : state) found = live->Near(1, 52.5, 13.45, 1000, 1000).size();
  state.counters["found"] = static_cast<double>(found);
}
BENCHMARK(BM_Near1km)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_Get(benchmark::State& state) {
  auto live = Fleet("bench-get");
  if (!live) return state.SkipWithError("no redis");
  int i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(live->Get(1, Located(i++ % kDevices, 0).message.device_uid));
}
BENCHMARK(BM_Get)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace fleetd
