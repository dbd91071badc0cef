// PostgresStore::RewriteBatch: WriteBatch's COPY into the staging table, then
// upserts instead of inserts that skip, for `fleetd replay` repairing rows a
// buggy consumer wrote.
//
// The staging rows are WriteBatch's (pg_batch_encoder.h), so the first row
// of each (device, fix time) key in the batch is the one flagged `first`:
// only those go to positions, which also keeps ON CONFLICT DO UPDATE from
// touching one row twice in a statement (an error). Events take the first
// of each (device, fix time, type) by seq. Every row written marks its
// rollup hour dirty, since a replaced row can change the hour's distance and
// speeds as much as a new one.
#include <charconv>
#include <functional>
#include <string>

#include "store/postgres/pg_batch_encoder.h"
#include "store/postgres/pg_locks.h"
#include "store/postgres/postgres_store.h"

namespace fleetd {
namespace {

constexpr const char* kRewriteScript = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock_shared(7380385375772243810);
COPY fleetd_stage FROM STDIN (FORMAT binary);
WITH up AS (
  INSERT INTO positions (tenant_id, device_id, ts, received_at, lat, lng, speed_kmh, body)
  SELECT tenant_id, device_id, ts, received_at, lat, lng, speed_kmh, body FROM fleetd_stage WHERE first
  ON CONFLICT (device_id, ts) DO UPDATE SET received_at = EXCLUDED.received_at, lat = EXCLUDED.lat,
    lng = EXCLUDED.lng, speed_kmh = EXCLUDED.speed_kmh, body = EXCLUDED.body
  RETURNING device_id, ts
), ev AS (
  INSERT INTO events (tenant_id, device_id, ts, type, body)
  SELECT DISTINCT ON (device_id, ts, alarm) tenant_id, device_id, ts, alarm, body
  FROM fleetd_stage WHERE alarm IS NOT NULL ORDER BY device_id, ts, alarm, seq
  ON CONFLICT (device_id, ts, type) DO UPDATE SET body = EXCLUDED.body
  RETURNING 1
), marked AS (
  INSERT INTO rollup_dirty (device_id, hour)
  SELECT DISTINCT device_id, ts - ts % 3600000 FROM up
  ON CONFLICT DO NOTHING
)
SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM ev);
COMMIT
)sql";
static_assert(pg::kWriteBarrierLock == 7380385375772243810, "kRewriteScript spells the barrier key out");

bool ParseCount(std::string_view text, int64_t& out) {
  return std::from_chars(text.data(), text.data() + text.size(), out).ec == std::errc();
}

}  // namespace

Result<WriteStats> PostgresStore::RewriteBatch(std::span<const Envelope> batch) {
  pg::BatchEncoder encoder(batch);
  if (encoder.rows() == 0) return WriteStats{};
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  pg::Connection& conn = **lease;
  if (!conn.staging_ready) {
    if (Status s = conn.Script(pg::BatchEncoder::StageTableDdl(), "create staging table"); !s.ok()) return s;
    conn.staging_ready = true;
  }
  // One retry, for a day partition another process dropped (23514); the
  // retry resends the whole encoded batch.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (Status s = EnsureDays(conn, encoder.days(), /*recheck=*/attempt > 0); !s.ok()) return s;
    std::function<std::string_view()> data = [&encoder] { return encoder.Next(); };
    if (attempt > 0) {
      data = [all = encoder.All(), done = false]() mutable {
        std::string_view once = done ? std::string_view() : all;
        done = true;
        return once;
      };
    }
    auto results = conn.CopyScript(kRewriteScript, data, "rewrite batch");
    if (!results.ok()) {
      const std::string sqlstate = conn.last_sqlstate();
      if (!conn.idle()) (void)conn.Script("ROLLBACK", "rollback rewrite");
      if (sqlstate == "23514" && attempt == 0) continue;
      return results.status();
    }
    if (results->size() != 2 || results->back().rows() != 1) {
      return Status(StatusCode::kInternal, "rewrite batch: unexpected results from the server");
    }
    const pg::QueryResult& counts = results->back();
    WriteStats stats;
    if (!ParseCount(counts.Text(0, 0), stats.positions_written) ||
        !ParseCount(counts.Text(0, 1), stats.events_written)) {
      return Status(StatusCode::kInternal, "rewrite batch: counts do not parse");
    }
    stats.duplicates = encoder.rows() - stats.positions_written;  // repeats of a key within the batch
    return stats;
  }
  return Status(StatusCode::kInternal, "rewrite batch: retries exhausted");
}

}  // namespace fleetd
