// RedisLiveState throughput against a real redis-server on loopback, started
// here: newer-wins batch writes (messages/s), and the reads an API node does
// (snapshot of a 10,000-device tenant, a "near" query, one Get). Without a
// server: encoding and decoding one live feed payload, in the binary form
// (v2) and the JSON form it replaced (v1).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>

#include "core/message_json.h"
#include "fleetd/attribute_keys.h"
#include "live/redis/live_feed_codec.h"
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

// One process batch as the feed carries it: ~800 GT06 fixes with the
// attributes its decoder sets.
std::vector<Envelope> FeedBatch() {
  std::vector<Envelope> batch;
  for (int i = 0; i < 800; ++i) {
    Envelope e = Located(i % 100, 1'700'000'000'000 + i * 1000);
    e.message.attributes.Set(attr::kSerial, int64_t{i});
    e.message.attributes.Set(attr::kGpsRealtime, true);
    batch.push_back(std::move(e));
  }
  return batch;
}

// The v1 payload an older node publishes for `batch` (its encoder, kept here
// only to measure against).
std::string V1Payload(std::span<const Envelope> batch) {
  std::string out = "fleetd-live v1 0123456789abcdef0123456789abcdef\n[";
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i > 0) out += ',';
    out += '[' + std::to_string(batch[i].tenant_id) + ',' + std::to_string(batch[i].device_id) + ',';
    AppendMessageJson(out, batch[i].message);
    out += ']';
  }
  out += ']';
  return out;
}

// Arg: the payload version. What an API node pays per batch of another node.
void BM_DecodeFeed(benchmark::State& state) {
  const std::vector<Envelope> batch = FeedBatch();
  const std::string payload = state.range(0) == 1
                                  ? V1Payload(batch)
                                  : EncodeLiveBatch("0123456789abcdef0123456789abcdef", batch).payloads.at(0);
  for (auto _ : state) {
    auto decoded = DecodeLiveBatch(payload);
    if (!decoded.ok() || decoded->size() != batch.size()) return state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
  state.counters["payload_bytes"] = static_cast<double>(payload.size());
}
BENCHMARK(BM_DecodeFeed)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

// Arg: the payload version. What a process node pays per batch it writes.
void BM_EncodeFeed(benchmark::State& state) {
  const std::vector<Envelope> batch = FeedBatch();
  for (auto _ : state) {
    if (state.range(0) == 1) {
      benchmark::DoNotOptimize(V1Payload(batch));
    } else {
      benchmark::DoNotOptimize(EncodeLiveBatch("0123456789abcdef0123456789abcdef", batch));
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_EncodeFeed)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

void BM_Get(benchmark::State& state) {
  auto live = Fleet("bench-get");
  if (!live) return state.SkipWithError("no redis");
  int i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(live->Get(1, Located(i++ % kDevices, 0).message.device_uid));
}
BENCHMARK(BM_Get)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace fleetd
