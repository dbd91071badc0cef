// WriteBatch throughput against a raw COPY of the same rows into the same
// table, in the same run, on a PostgreSQL started by this binary (fsync off,
// so the disk is not what is measured). Issue 5 wants the ratio.
//
//   BM_WriteBatch/<batch>/<role>  PostgresStore::WriteBatch: JSON encoding,
//                                 binary COPY into the staging table,
//                                 INSERT ... ON CONFLICT DO NOTHING, rollup
//                                 marks, one transaction. role 0: superuser
//                                 (no RLS), 1: the schema owner (FORCE RLS).
//   BM_RawCopy/<batch>            COPY (FORMAT binary) of the same rows,
//                                 bodies encoded beforehand, straight into
//                                 positions: the ceiling.
//   BM_EncodeOnly/<batch>         the JSON + COPY encoding WriteBatch does
//                                 before it takes a connection.
//   BM_Interleaved/<batch>/<path> one WriteBatch and one raw COPY per
//                                 iteration, so both see the same machine
//                                 load; reports both rates, the ratio, and
//                                 the ratio to a raw COPY that also pays for
//                                 encoding its JSON (ratio_incl_encoding).
//                                 path 0: the owner's direct COPY into
//                                 positions; 1: the staging path.
// Rows/s is items_per_second (wall clock: the work is in the server).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>

#include "core/message_json.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_copy_writer.h"
#include "store/postgres/pg_test_cluster.h"
#include "store/postgres/pg_test_messages.h"
#include "store/postgres/postgres_store.h"

namespace fleetd {
namespace {

using pgtest::kBaseTs;

constexpr int kDevices = 1000;

struct Bench {
  std::unique_ptr<pgtest::PgTestCluster> cluster;
  std::unique_ptr<PostgresStore> superuser_store;
  std::unique_ptr<PostgresStore> owner_store;
  std::unique_ptr<PostgresStore> staged_store;  // the owner, direct_copy off
  std::unique_ptr<pg::Connection> raw;  // superuser: COPY into an RLS table needs to bypass it
  std::vector<Device> devices;
  TimestampMs next_ts = kBaseTs;  // every batch gets fresh fix times: all rows new
};
Bench* g = nullptr;

std::vector<Envelope> NextBatch(int size) {
  std::vector<Envelope> batch;
  batch.reserve(static_cast<size_t>(size));
  for (int i = 0; i < size; ++i) {
    const Device& d = g->devices[static_cast<size_t>(i % kDevices)];
    if (i % kDevices == 0) g->next_ts += 1000;
    Message m = pgtest::PositionMessage(d.uid, g->next_ts, 23.8 + i * 1e-5, 90.4 + i * 1e-5);
    m.attributes["io.din1"] = true;
    batch.push_back(Envelope{d.tenant_id, d.id, std::move(m)});
  }
  return batch;
}

std::string RawCopyData(const std::vector<Envelope>& batch) {
  pg::CopyWriter copy;
  for (const Envelope& e : batch) {
    copy.BeginRow(8);
    copy.Int64(e.tenant_id);
    copy.Int64(e.device_id);
    copy.Int64(*e.message.ts);
    copy.Int64(e.message.received_at);
    copy.OptionalDouble(e.message.lat);
    copy.OptionalDouble(e.message.lng);
    copy.OptionalDouble(e.message.speed_kmh);
    copy.Text(MessageToJsonText(e.message));
  }
  return copy.Finish();
}

constexpr const char* kRawCopy =
    "COPY positions (tenant_id, device_id, ts, received_at, lat, lng, speed_kmh, body) FROM STDIN (FORMAT binary)";

void BM_WriteBatch(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  PostgresStore* store = state.range(1) == 0 ? g->superuser_store.get() : g->owner_store.get();
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Envelope> batch = NextBatch(size);
    state.ResumeTiming();
    auto stats = store->WriteBatch(batch);
    if (!stats.ok() || stats->positions_written != size) {
      state.SkipWithError(stats.ok() ? "rows not new" : stats.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * size);
}

void BM_RawCopy(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    std::string data = RawCopyData(NextBatch(size));
    state.ResumeTiming();
    if (Status s = g->raw->CopyIn(kRawCopy, data, "raw copy"); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * size);
}

void BM_EncodeOnly(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  std::vector<Envelope> batch = NextBatch(size);
  for (auto _ : state) benchmark::DoNotOptimize(RawCopyData(batch));
  state.SetItemsProcessed(state.iterations() * size);
}

void BM_Interleaved(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  using Clock = std::chrono::steady_clock;
  Clock::duration write_time{}, copy_time{}, encode_time{};
  PostgresStore* store = state.range(1) == 0 ? g->owner_store.get() : g->staged_store.get();
  for (auto _ : state) {
    std::vector<Envelope> batch = NextBatch(size);
    auto t0 = Clock::now();
    auto stats = store->WriteBatch(batch);
    auto t1 = Clock::now();
    if (!stats.ok() || stats->positions_written != size) {
      state.SkipWithError(stats.ok() ? "rows not new" : stats.status().ToString().c_str());
      break;
    }
    std::vector<Envelope> raw_batch = NextBatch(size);
    auto t_encode = Clock::now();
    std::string data = RawCopyData(raw_batch);
    auto t2 = Clock::now();
    if (Status s = g->raw->CopyIn(kRawCopy, data, "raw copy"); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    auto t3 = Clock::now();
    write_time += t1 - t0;
    copy_time += t3 - t2;
    encode_time += t2 - t_encode;
  }
  const double rows = static_cast<double>(state.iterations()) * size;
  const double write_rate = rows / std::chrono::duration<double>(write_time).count();
  const double copy_rate = rows / std::chrono::duration<double>(copy_time).count();
  state.counters["writebatch_rows_per_s"] = write_rate;
  state.counters["raw_copy_rows_per_s"] = copy_rate;
  const double encoded_copy_rate = rows / std::chrono::duration<double>(copy_time + encode_time).count();
  state.counters["ratio"] = write_rate / copy_rate;
  // Against a raw COPY that also encodes the JSON bodies, as WriteBatch must.
  state.counters["ratio_incl_encoding"] = write_rate / encoded_copy_rate;
}

BENCHMARK(BM_EncodeOnly)->Arg(1000);
BENCHMARK(BM_RawCopy)->Arg(1000)->Arg(5000)->UseRealTime();
BENCHMARK(BM_WriteBatch)->Args({1000, 0})->Args({1000, 1})->Args({5000, 1})->UseRealTime();
BENCHMARK(BM_Interleaved)
    ->Args({1000, 0})
    ->Args({1000, 1})
    ->Args({5000, 0})
    ->Args({200, 0})
    ->UseRealTime()
    ->MinTime(3);

int Setup() {
  auto cluster = pgtest::PgTestCluster::Start();
  if (!cluster.ok()) {
    std::fprintf(stderr, "%s\n", cluster.status().ToString().c_str());
    return 1;
  }
  g->cluster = std::move(*cluster);
  const char* owner = "fleetd_bench_owner";
  Status s = g->cluster->Exec(
      "postgres", std::string("CREATE ROLE fleetd_api NOLOGIN; CREATE ROLE ") + owner + " LOGIN PASSWORD 'bench'");
  auto db = s.ok() ? g->cluster->CreateDatabase(owner) : Result<std::string>(s);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    return 1;
  }
  auto owner_store = PostgresStore::Open(g->cluster->Url(owner, "bench", *db));
  auto superuser_store = PostgresStore::Open(g->cluster->SuperuserUrl(*db));
  PostgresStoreOptions staged_options;
  staged_options.direct_copy = false;
  auto staged_store = PostgresStore::Open(g->cluster->Url(owner, "bench", *db), staged_options);
  if (!staged_store.ok()) return 1;
  g->staged_store = std::move(*staged_store);
  auto raw = pg::Connection::Connect(g->cluster->SuperuserUrl(*db), 5, "bench");
  if (!owner_store.ok() || !superuser_store.ok() || !raw.ok()) {
    std::fprintf(stderr, "open: %s %s %s\n", owner_store.status().ToString().c_str(),
                 superuser_store.status().ToString().c_str(), raw.status().ToString().c_str());
    return 1;
  }
  g->owner_store = std::move(*owner_store);
  g->superuser_store = std::move(*superuser_store);
  g->raw = std::move(*raw);
  auto tenant = g->owner_store->AddTenant("bench");
  for (int i = 0; i < kDevices && tenant.ok(); ++i) {
    auto d = g->owner_store->AddDevice(tenant->id, "8620000" + std::to_string(10000000 + i), "truck");
    if (!d.ok()) return 1;
    g->devices.push_back(*d);
  }
  // Every fix time the run will use falls on these days.
  std::vector<Envelope> warm = NextBatch(kDevices);
  return g->owner_store->WriteBatch(warm).ok() && tenant.ok() ? 0 : 1;
}

}  // namespace
}  // namespace fleetd

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  fleetd::Bench bench;
  fleetd::g = &bench;
  if (int rc = fleetd::Setup(); rc != 0) return rc;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  fleetd::g = nullptr;
  return 0;
}
