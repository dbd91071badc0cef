// PostgresStore maintenance: partitions ahead, rollups of marked hours,
// retention by dropping partitions, and the rollup query.
//
// Marks and claims. WriteBatch adds (device, hour) marks to rollup_dirty
// unless they are there already (an hour already marked costs an index
// probe, no write) while holding the write barrier shared. Maintenance moves every mark
// it can see to rollup_claimed (committed), then takes the barrier
// exclusively for an instant: that waits for every write transaction that
// began before, including one whose mark was already there when it wrote,
// so the recompute, which starts after, sees the rows of every claimed hour.
// A write that begins after the claim finds its hour unmarked and marks it
// again for the next run. Claims survive a crash; the recompute runs in
// chunks, each one statement that deletes its claims and upserts their
// rollups, and recomputing an hour twice gives the same row.
//
// The watermark maintenance_state.raw_complete_from: raw rows older than it
// may have been dropped, so hours before it are never recomputed (they would
// come out short); it is raised before each drop.
#include <limits>
#include <string>

#include "store/postgres/pg_locks.h"
#include "store/postgres/pg_partitions.h"
#include "store/postgres/pg_transaction.h"
#include "store/postgres/postgres_store.h"

namespace fleetd {

using pg::Connection;
using pg::kMaintenanceLock;
using pg::Params;

namespace {

constexpr int64_t kRollupChunk = 5000;
constexpr int kMaxChunks = 100000;  // a bound, not an expected count

constexpr const char* kClaim =
    "WITH moved AS (DELETE FROM rollup_dirty RETURNING device_id, hour)"
    " INSERT INTO rollup_claimed SELECT device_id, hour FROM moved ON CONFLICT DO NOTHING";

// $1: the watermark, $2: chunk size. Targets are the claimed hours at or
// after the watermark plus, per claimed hour, the next hour with a located
// fix (its first segment starts at this hour's last fix). Each target hour
// is summarized from its raw rows; its segments are those between
// consecutive located fixes ending in the hour, the first starting at the
// last located fix before the hour.
constexpr const char* kRecompute = R"sql(
WITH batch AS (
  DELETE FROM rollup_claimed c
  WHERE (c.device_id, c.hour) IN (SELECT device_id, hour FROM rollup_claimed ORDER BY device_id, hour LIMIT $2)
  RETURNING c.device_id, c.hour
), fresh AS (
  SELECT device_id, hour FROM batch WHERE hour >= $1
), targets AS (
  SELECT device_id, hour FROM fresh
  UNION
  SELECT f.device_id, n.ts - n.ts % 3600000
  FROM fresh f
  CROSS JOIN LATERAL (
    SELECT p.ts FROM positions p
    WHERE p.device_id = f.device_id AND p.ts >= f.hour + 3600000
      AND p.lat IS NOT NULL AND p.lng IS NOT NULL
    ORDER BY p.ts LIMIT 1) n
), raw AS (
  SELECT t.device_id, t.hour, p.tenant_id, p.ts, p.lat, p.lng, p.speed_kmh
  FROM targets t
  JOIN positions p ON p.device_id = t.device_id AND p.ts >= t.hour AND p.ts < t.hour + 3600000
), located AS (
  SELECT device_id, hour, ts, lat, lng FROM raw WHERE lat IS NOT NULL AND lng IS NOT NULL
  UNION ALL
  SELECT t.device_id, t.hour, b.ts, b.lat, b.lng
  FROM targets t
  CROSS JOIN LATERAL (
    SELECT p.ts, p.lat, p.lng FROM positions p
    WHERE p.device_id = t.device_id AND p.ts >= 0 AND p.ts < t.hour AND p.lat IS NOT NULL AND p.lng IS NOT NULL
    ORDER BY p.ts DESC LIMIT 1) b
), segments AS (
  SELECT device_id, hour, fleetd_haversine_km(lag(lat) OVER w, lag(lng) OVER w, lat, lng) AS km
  FROM located
  WINDOW w AS (PARTITION BY device_id, hour ORDER BY ts)
), distance AS (
  SELECT device_id, hour, coalesce(sum(km), 0) AS km FROM segments GROUP BY device_id, hour
), summary AS (
  SELECT device_id, hour, min(tenant_id) AS tenant_id, count(*) AS positions, max(speed_kmh) AS max_speed,
         avg(speed_kmh) AS avg_speed, min(ts) AS first_fix, max(ts) AS last_fix
  FROM raw GROUP BY device_id, hour
), upsert AS (
  INSERT INTO position_rollups_hourly AS r
    (tenant_id, device_id, hour, positions, distance_km, max_speed_kmh, avg_speed_kmh, first_fix, last_fix)
  SELECT s.tenant_id, s.device_id, s.hour, s.positions, coalesce(d.km, 0), s.max_speed, s.avg_speed,
         s.first_fix, s.last_fix
  FROM summary s LEFT JOIN distance d USING (device_id, hour)
  ON CONFLICT (device_id, hour) DO UPDATE SET
    tenant_id = excluded.tenant_id, positions = excluded.positions, distance_km = excluded.distance_km,
    max_speed_kmh = excluded.max_speed_kmh, avg_speed_kmh = excluded.avg_speed_kmh,
    first_fix = excluded.first_fix, last_fix = excluded.last_fix
  RETURNING 1
)
SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM batch WHERE hour < $1), (SELECT count(*) FROM upsert)
)sql";

// now - age, or nullopt when that underflows (nothing can be that old).
std::optional<int64_t> Cutoff(TimestampMs now, int64_t age) {
  int64_t out = 0;
  if (__builtin_sub_overflow(now, age, &out)) return std::nullopt;
  return out;
}

}  // namespace

Result<MaintenanceStats> PostgresStore::RunMaintenance(TimestampMs now) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  Connection& conn = **lease;
  auto locked = conn.Exec("SELECT pg_try_advisory_lock($1)", Params().Int64(kMaintenanceLock), "lock maintenance");
  if (!locked.ok()) return locked.status();
  if (!locked->Bool(0, 0)) return Status(StatusCode::kBusy, "maintenance is already running in another session");
  struct Unlock {
    Connection& conn;
    ~Unlock() { (void)conn.Exec("SELECT pg_advisory_unlock($1)", Params().Int64(kMaintenanceLock), "unlock"); }
  } unlock{conn};

  MaintenanceStats stats;
  std::vector<int64_t> ahead = pg::DaysAhead(now, options_.partitions_ahead_days);
  auto made = pg::CreateDayPartitions(conn, ahead, options_.ddl_lock_timeout_ms);
  if (!made.ok()) return made.status();
  stats.partitions_created = *made;
  {
    std::lock_guard lock(days_mu_);
    known_days_.insert(ahead.begin(), ahead.end());
  }
  if (Status s = RollUp(conn, stats); !s.ok()) return s;
  if (Status s = DropExpired(conn, now, stats); !s.ok()) return s;
  return stats;
}

Status PostgresStore::RollUp(Connection& conn, MaintenanceStats& stats) {
  auto watermark =
      conn.Exec("SELECT coalesce((SELECT value FROM maintenance_state WHERE name = 'raw_complete_from'), 0::bigint)",
                "read rollup watermark");
  if (!watermark.ok()) return watermark.status();
  const int64_t complete_from = watermark->Int64(0, 0);
  if (auto claimed = conn.Exec(kClaim, "claim rollup hours"); !claimed.ok()) return claimed.status();
  {
    pg::Transaction barrier(conn);
    if (Status s = barrier.Begin(); !s.ok()) return s;
    std::string timeout = "SET LOCAL lock_timeout = " + std::to_string(options_.ddl_lock_timeout_ms);
    if (Status s = conn.Script(timeout.c_str(), "set lock timeout"); !s.ok()) return s;
    auto waited = conn.Exec("SELECT pg_advisory_xact_lock($1)", Params().Int64(pg::kWriteBarrierLock),
                            "wait for writes in flight");
    if (!waited.ok()) return waited.status();
    if (Status s = barrier.Commit(); !s.ok()) return s;
  }
  for (int chunk = 0; chunk < kMaxChunks; ++chunk) {
    auto r = conn.Exec(kRecompute, Params().Int64(complete_from).Int64(kRollupChunk), "recompute rollups");
    if (!r.ok()) return r.status();
    stats.late_hours_skipped += r->Int64(0, 1);
    stats.rollup_hours_updated += r->Int64(0, 2);
    if (r->Int64(0, 0) < kRollupChunk) break;
  }
  return Status::Ok();
}

Status PostgresStore::DropExpired(Connection& conn, TimestampMs now, MaintenanceStats& stats) {
  struct Expiry {
    std::string_view table;
    int64_t age;
  };
  for (const Expiry& e :
       {Expiry{"positions", options_.raw_retention_ms}, Expiry{"events", options_.event_retention_ms}}) {
    auto cutoff = Cutoff(now, e.age);
    if (!cutoff) continue;
    auto days = pg::ListDayPartitions(conn, e.table);
    if (!days.ok()) return days.status();
    std::vector<int64_t> expired;
    for (int64_t day : *days) {
      if ((day + 1) * pg::kDayMs <= *cutoff) expired.push_back(day);  // every row of the day is older
    }
    if (expired.empty()) continue;
    if (e.table == "positions") {
      auto raised = conn.Exec(
          "INSERT INTO maintenance_state (name, value) VALUES ('raw_complete_from', $1)"
          " ON CONFLICT (name) DO UPDATE SET value = GREATEST(maintenance_state.value, excluded.value)",
          Params().Int64((expired.back() + 1) * pg::kDayMs), "raise rollup watermark");
      if (!raised.ok()) return raised.status();
    }
    if (Status s = pg::DropDayPartitions(conn, e.table, expired, options_.ddl_lock_timeout_ms); !s.ok()) return s;
    stats.partitions_dropped += static_cast<int>(expired.size());
    std::lock_guard lock(days_mu_);
    for (int64_t day : expired) known_days_.erase(day);
  }
  if (auto cutoff = Cutoff(now, options_.rollup_retention_ms)) {
    auto r = conn.Exec("DELETE FROM position_rollups_hourly WHERE hour < $1", Params().Int64(*cutoff),
                       "delete expired rollups");
    if (!r.ok()) return r.status();
    stats.rollup_hours_deleted = r->affected();
  }
  return Status::Ok();
}

Result<std::vector<HourlyRollup>> PostgresStore::QueryRollups(const RollupQuery& query) {
  return ReadRollups(query, std::nullopt);
}

Result<std::vector<HourlyRollup>> PostgresStore::QueryDeviceRollups(int64_t device_id, const RollupQuery& query) {
  return ReadRollups(query, device_id);
}

Result<std::vector<HourlyRollup>> PostgresStore::ReadRollups(const RollupQuery& query,
                                                             std::optional<int64_t> known_device) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  Connection& conn = **lease;
  pg::Transaction txn(conn);
  if (Status s = txn.Begin(/*read_only=*/true); !s.ok()) return s;
  if (Status s = txn.SetTenant(query.tenant_id); !s.ok()) return s;
  auto device_id =
      known_device ? Result<int64_t>(*known_device) : DeviceIdForHistory(conn, query.tenant_id, query.device_uid);
  if (!device_id.ok()) return device_id.status();
  auto r = conn.Exec(
      "SELECT hour, positions, distance_km, max_speed_kmh, avg_speed_kmh, first_fix, last_fix"
      " FROM position_rollups_hourly WHERE device_id = $1 AND tenant_id = $2 AND hour >= $3 AND hour < $4"
      " ORDER BY hour LIMIT 10000",
      Params().Int64(*device_id).Int64(query.tenant_id).Int64(query.from.value_or(kMin)).Int64(query.to.value_or(kMax)),
      "query rollups");
  if (!r.ok()) return r.status();
  if (Status s = txn.Commit(); !s.ok()) return s;
  std::vector<HourlyRollup> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(HourlyRollup{r->Int64(i, 0), r->Int64(i, 1), r->Double(i, 2), r->OptionalDouble(i, 3),
                               r->OptionalDouble(i, 4), r->Int64(i, 5), r->Int64(i, 6)});
  }
  return out;
}

}  // namespace fleetd
