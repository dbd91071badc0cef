// PostgresStore: opening, the message tables (WriteBatch, QueryPositions,
// LatestPositions). Administration is in postgres_store_admin.cc,
// maintenance and rollups in postgres_store_maintenance.cc.
#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <utility>

#include "core/message_json.h"
#include "core/time_util.h"
#include "store/postgres/pg_batch_encoder.h"
#include "store/postgres/pg_locks.h"
#include "store/postgres/pg_partitions.h"
#include "store/postgres/pg_transaction.h"
#include "store/postgres/pg_url.h"

namespace fleetd {

using pg::Connection;
using pg::Params;
using pg::Transaction;

namespace {

constexpr int kMaxPageSize = 10000;
// The whole write transaction as one simple-query script, so a batch costs
// one round trip: the write barrier (pg_locks.h) shared, the COPY into the
// staging table, one statement moving the rows, COMMIT. Of two rows with one
// key in a batch the first is kept, as in the SQLite store: the client flags
// the first of each key (`first`), so the server sorts nothing. Rollup marks are (device, hour) pairs of the rows
// actually inserted; the barrier makes maintenance wait for this transaction before it recomputes the hours it claimed
// (postgres_store_maintenance.cc).
//
// Two forms of the move. The fast one skips keys already stored with a NOT
// EXISTS probe and inserts plainly: on the partitioned table that costs
// about a quarter less than ON CONFLICT DO NOTHING's speculative insertion
// (6.3 vs 8.2 ms per 1000 rows measured here, 4.9 for a blind insert). It is exact
// unless another writer stores one of the keys between the probe and the
// insert; then the insert fails with a unique violation, and the batch is
// redone with the safe form, ON CONFLICT DO NOTHING throughout.
constexpr const char* kWriteHead = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock_shared(7380385375772243810);
COPY fleetd_stage FROM STDIN (FORMAT binary);
)sql";
static_assert(pg::kWriteBarrierLock == 7380385375772243810, "kWriteHead spells the barrier key out");

constexpr const char* kFastMove = R"sql(
WITH ins AS (
  INSERT INTO positions (tenant_id, device_id, ts, received_at, lat, lng, speed_kmh, body)
  SELECT tenant_id, device_id, ts, received_at, lat, lng, speed_kmh, body
  FROM fleetd_stage s
  WHERE first AND NOT EXISTS (SELECT FROM positions p WHERE p.device_id = s.device_id AND p.ts = s.ts)
  RETURNING device_id, ts
), ev AS (
  INSERT INTO events (tenant_id, device_id, ts, type, body)
  SELECT tenant_id, device_id, ts, alarm, body FROM fleetd_stage WHERE alarm IS NOT NULL ORDER BY seq
  ON CONFLICT DO NOTHING
  RETURNING 1
), marked AS (
  INSERT INTO rollup_dirty (device_id, hour)
  SELECT DISTINCT h.device_id, h.hour FROM (SELECT device_id, ts - ts % 3600000 AS hour FROM ins) h
  WHERE NOT EXISTS (SELECT FROM rollup_dirty r WHERE r.device_id = h.device_id AND r.hour = h.hour)
)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM ev);
COMMIT
)sql";

constexpr const char* kSafeMove = R"sql(
WITH ins AS (
  INSERT INTO positions (tenant_id, device_id, ts, received_at, lat, lng, speed_kmh, body)
  SELECT tenant_id, device_id, ts, received_at, lat, lng, speed_kmh, body FROM fleetd_stage WHERE first
  ON CONFLICT DO NOTHING
  RETURNING device_id, ts
), ev AS (
  INSERT INTO events (tenant_id, device_id, ts, type, body)
  SELECT tenant_id, device_id, ts, alarm, body FROM fleetd_stage WHERE alarm IS NOT NULL ORDER BY seq
  ON CONFLICT DO NOTHING
  RETURNING 1
), marked AS (
  INSERT INTO rollup_dirty (device_id, hour)
  SELECT DISTINCT device_id, ts - ts % 3600000 FROM ins
  ON CONFLICT DO NOTHING
)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM ev);
COMMIT
)sql";

// The direct form: COPY straight into positions (the client sent only the
// first row of each key) and events, then the client's rollup marks. A key
// already stored fails the COPY (23505) and the transaction leaves nothing.
constexpr const char* kDirectHead = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock_shared(7380385375772243810);
COPY positions (tenant_id, device_id, ts, received_at, lat, lng, speed_kmh, body) FROM STDIN (FORMAT binary);
)sql";
constexpr const char* kDirectEvents = "COPY events (tenant_id, device_id, ts, type, body) FROM STDIN (FORMAT binary);\n";

// Batches sent through the staging path after a direct COPY met a stored key.
constexpr int kStagedAfterConflict = 16;

const std::string& WriteScript(bool safe) {
  static const std::string fast = std::string(kWriteHead) + kFastMove;
  static const std::string careful = std::string(kWriteHead) + kSafeMove;
  return safe ? careful : fast;
}

Status CorruptBody(const Status& parse) {
  return Status(StatusCode::kInternal, "stored message body does not parse: " + parse.ToString());
}

Status CheckOptions(const PostgresStoreOptions& o) {
  auto bad = [](const std::string& what) {
    return Status(StatusCode::kInvalidArgument, "postgres store option " + what);
  };
  if (o.pool_size < 1 || o.pool_size > 1000) {
    return bad("pool_size must be in 1..1000 (got " + std::to_string(o.pool_size) + ")");
  }
  if (o.connect_timeout_s < 1 || o.connect_timeout_s > 3600) {
    return bad("connect_timeout_s must be in 1..3600 (got " + std::to_string(o.connect_timeout_s) + ")");
  }
  if (o.ddl_lock_timeout_ms < 1) return bad("ddl_lock_timeout_ms must be positive");
  if (o.partitions_ahead_days < 0 || o.partitions_ahead_days > 366) {
    return bad("partitions_ahead_days must be in 0..366 (got " + std::to_string(o.partitions_ahead_days) + ")");
  }
  if (o.raw_retention_ms < pg::kDayMs) return bad("raw_retention_ms must be at least one day");
  if (o.event_retention_ms < pg::kDayMs) return bad("event_retention_ms must be at least one day");
  if (o.rollup_retention_ms < pg::kHourMs) return bad("rollup_retention_ms must be at least one hour");
  return Status::Ok();
}

}  // namespace

PostgresStore::PostgresStore(const std::string& url, const std::string& display_url,
                             const PostgresStoreOptions& options)
    : options_(options),
      pool_(url, display_url,
            pg::ConnectionPool::Options{options.pool_size, options.connect_timeout_s, std::chrono::seconds(30),
                                        options.role == pg::StoreRole::kApi ? "SET ROLE fleetd_api" : ""}) {}

PostgresStore::~PostgresStore() = default;

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url, PostgresStoreOptions options) {
  if (Status s = CheckOptions(options); !s.ok()) return s;
  auto parsed = pg::ParseStoreUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->role) options.role = *parsed->role;
  if (options.role == pg::StoreRole::kApi) {
    if (parsed->migrate == true) {
      return Status(StatusCode::kInvalidArgument, "store URL '" + pg::RedactUrl(url) +
                                                      "': role=api cannot migrate; run fleetd migrate as the writer");
    }
    options.migrate = false;
    options.direct_copy = false;
  } else if (parsed->migrate) {
    options.migrate = *parsed->migrate;
  }
  std::unique_ptr<PostgresStore> store(new PostgresStore(parsed->libpq_url, pg::RedactUrl(url), options));
  auto lease = store->pool_.Acquire();  // the first connection: reachability, credentials, SET ROLE
  if (!lease.ok()) {
    if (options.role == pg::StoreRole::kApi && lease.status().code() == StatusCode::kPermissionDenied) {
      return Status(StatusCode::kPermissionDenied,
                    lease.status().message() + " (role=api: the login must be a member of fleetd_api: GRANT fleetd_api TO <login>)");
    }
    return lease.status();
  }
  if (Status s = store->Prepare(**lease); !s.ok()) return s;
  return store;
}

Status PostgresStore::Prepare(Connection& conn) {
  if (options_.migrate) {
    auto report = pg::Migrate(conn, options_.search_path_schema);
    if (!report.ok()) return report.status();
    opened_migration_ = *report;
    if (Status s = EnsureDays(conn, pg::DaysAhead(NowMs(), options_.partitions_ahead_days), false); !s.ok()) {
      return s;
    }
  } else {
    if (options_.search_path_schema) {
      if (Status s = pg::CheckSearchPathSchema(conn); !s.ok()) return s;
    }
    auto version = pg::CurrentSchemaVersion(conn);
    if (!version.ok()) return version.status();
    if (*version > pg::SchemaVersion()) {
      return Status(StatusCode::kInternal, "database schema version " + std::to_string(*version) +
                                               " is newer than this build's " + std::to_string(pg::SchemaVersion()));
    }
    if (*version < pg::SchemaVersion()) {
      return Status(StatusCode::kInternal,
                    "database schema version " + std::to_string(*version) + ", this build needs " +
                        std::to_string(pg::SchemaVersion()) + ": run fleetd migrate --store <this URL>");
    }
    opened_migration_ = pg::MigrationReport{*version, *version, {}};
  }
  if (options_.role == pg::StoreRole::kApi) {
    // The role the sessions run as must not escape the policies.
    auto r = conn.Exec("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
                       "check the API role");
    if (!r.ok()) return r.status();
    if (r->rows() != 1 || r->Bool(0, 0)) {
      return Status(StatusCode::kPermissionDenied,
                    "role=api: fleetd_api is a superuser or BYPASSRLS; it must be neither (ALTER ROLE fleetd_api "
                    "NOSUPERUSER NOBYPASSRLS)");
    }
    return Status::Ok();
  }
  if (options_.direct_copy) {
    auto r = conn.Exec("SELECT NOT row_security_active('positions') AND NOT row_security_active('events')",
                       "check COPY permission");
    if (!r.ok()) return r.status();
    direct_copy_ = r->Bool(0, 0);
  }
  return Status::Ok();
}

Result<pg::MigrationReport> PostgresStore::Migrate() {
  if (options_.role == pg::StoreRole::kApi) {
    return Status(StatusCode::kPermissionDenied, "role=api cannot migrate; run fleetd migrate as the writer");
  }
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  return pg::Migrate(**lease, options_.search_path_schema);
}

Status PostgresStore::EnsureDays(Connection& conn, const std::vector<int64_t>& days, bool recheck) {
  std::vector<int64_t> needed;
  {
    std::lock_guard lock(days_mu_);
    for (int64_t d : days) {
      if (recheck || !known_days_.contains(d)) needed.push_back(d);
    }
  }
  if (needed.empty()) return Status::Ok();
  auto made = pg::CreateDayPartitions(conn, needed, options_.ddl_lock_timeout_ms);
  if (!made.ok()) return made.status();
  std::lock_guard lock(days_mu_);
  known_days_.insert(needed.begin(), needed.end());
  return Status::Ok();
}

Result<WriteStats> PostgresStore::WriteBatch(std::span<const Envelope> batch) {
  pg::BatchEncoder direct(batch, pg::BatchEncoder::Layout::kDirect);
  if (direct.rows() == 0) return WriteStats{};
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  Connection& conn = **lease;
  bool try_direct = direct_copy_;
  for (int left = staged_after_conflict_.load(); try_direct && left > 0;) {
    if (staged_after_conflict_.compare_exchange_weak(left, left - 1)) try_direct = false;
  }
  if (try_direct) {
    bool recheck_days = false;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (Status s = EnsureDays(conn, direct.days(), recheck_days); !s.ok()) return s;
      std::string sqlstate;
      auto stats = WriteDirect(conn, direct, attempt > 0, sqlstate);
      if (stats.ok()) return stats;
      if (sqlstate == "23514" && !recheck_days) {
        recheck_days = true;  // a partition dropped elsewhere: create it, try again
        continue;
      }
      if (sqlstate != "23505") return stats;
      staged_after_conflict_.store(kStagedAfterConflict);
      break;
    }
  }
  return WriteViaStage(conn, batch);
}

Result<WriteStats> PostgresStore::WriteDirect(Connection& conn, pg::BatchEncoder& encoder, bool resend,
                                              std::string& failed_sqlstate) {
  std::string script = kDirectHead;
  const bool events = encoder.event_rows() > 0;
  if (events) script += kDirectEvents;
  script += encoder.MarksSql();
  script += ";\nCOMMIT";
  std::string events_data = events ? encoder.EventsCopyData() : std::string();
  int phase = 0;  // 0: positions, 1: events
  bool sent_once = false;
  std::function<std::string_view()> data = [&]() -> std::string_view {
    if (phase == 0) {
      std::string_view slice;
      if (resend) {
        slice = sent_once ? std::string_view() : encoder.All();
        sent_once = true;
      } else {
        slice = encoder.Next();
      }
      if (slice.empty()) phase = 1;
      return slice;
    }
    if (phase == 1) {
      phase = 2;
      return events_data;
    }
    return {};
  };
  auto results = conn.CopyScript(script.c_str(), data, "write batch");
  if (!results.ok()) {
    failed_sqlstate = conn.last_sqlstate();
    if (!conn.idle()) (void)conn.Script("ROLLBACK", "rollback batch");
    return results.status();
  }
  if (results->size() != 1) return Status(StatusCode::kInternal, "write batch: unexpected results from the server");
  WriteStats stats;
  stats.positions_written = encoder.first_rows();
  stats.duplicates = encoder.rows() - encoder.first_rows();
  stats.events_written = encoder.event_rows();
  return stats;
}

Result<WriteStats> PostgresStore::WriteViaStage(Connection& conn, std::span<const Envelope> batch) {
  pg::BatchEncoder encoder(batch);
  if (!conn.staging_ready) {
    if (Status s = conn.Script(pg::BatchEncoder::StageTableDdl(), "create staging table"); !s.ok()) return s;
    conn.staging_ready = true;
  }
  // At most: one retry for partitions dropped elsewhere (23514, "no
  // partition for row") and one in the safe form after a race (23505). The
  // first attempt streams the rows as they are encoded; a retry resends them.
  bool recheck_days = false;
  bool safe = false;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (Status s = EnsureDays(conn, encoder.days(), recheck_days); !s.ok()) return s;
    std::function<std::string_view()> data = [&encoder] { return encoder.Next(); };
    if (attempt > 0) {
      data = [all = encoder.All(), done = false]() mutable {
        std::string_view once = done ? std::string_view() : all;
        done = true;
        return once;
      };
    }
    std::string sqlstate;
    auto stats = WriteStaged(conn, data, encoder.rows(), safe, sqlstate);
    if (stats.ok()) return stats;
    if (sqlstate == "23514" && !recheck_days) {
      recheck_days = true;
    } else if (sqlstate == "23505" && !safe) {
      safe = true;
    } else {
      return stats;
    }
  }
  return Status(StatusCode::kInternal, "write batch: retries exhausted");
}

Result<WriteStats> PostgresStore::WriteStaged(Connection& conn, const std::function<std::string_view()>& copy_data,
                                              int64_t rows, bool safe, std::string& failed_sqlstate) {
  auto results = conn.CopyScript(WriteScript(safe).c_str(), copy_data, "write batch");
  if (!results.ok()) {
    failed_sqlstate = conn.last_sqlstate();
    if (!conn.idle()) (void)conn.Script("ROLLBACK", "rollback batch");
    return results.status();
  }
  // Results: the barrier's row, then the counts.
  if (results->size() != 2 || results->back().rows() != 1) {
    return Status(StatusCode::kInternal, "write batch: unexpected results from the server");
  }
  const pg::QueryResult& counts = results->back();
  WriteStats stats;
  if (std::from_chars(counts.Text(0, 0).data(), counts.Text(0, 0).data() + counts.Text(0, 0).size(),
                      stats.positions_written)
              .ec != std::errc() ||
      std::from_chars(counts.Text(0, 1).data(), counts.Text(0, 1).data() + counts.Text(0, 1).size(),
                      stats.events_written)
              .ec != std::errc()) {
    return Status(StatusCode::kInternal, "write batch: counts do not parse");
  }
  stats.duplicates = rows - stats.positions_written;
  return stats;
}

Result<int64_t> PostgresStore::DeviceIdForHistory(Connection& conn, int64_t tenant_id, const std::string& uid) {
  auto r = conn.Exec(
      "SELECT id FROM devices WHERE uid = $1 AND tenant_id = $2"
      " ORDER BY removed_at IS NOT NULL, removed_at DESC, id DESC LIMIT 1",
      Params().Bytea(uid).Int64(tenant_id), "find device");
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status(StatusCode::kNotFound, "device '" + uid + "' not found");
  return r->Int64(0, 0);
}

Result<pg::QueryResult> PostgresStore::ReadAsTenant(
    std::optional<int64_t> tenant_id, const std::function<Result<pg::QueryResult>(Connection&)>& read) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  Connection& conn = **lease;
  Transaction txn(conn);
  if (Status s = txn.Begin(/*read_only=*/true); !s.ok()) return s;
  if (tenant_id) {
    if (Status s = txn.SetTenant(*tenant_id); !s.ok()) return s;
  }
  auto rows = read(conn);
  if (!rows.ok()) return rows.status();
  if (Status s = txn.Commit(); !s.ok()) return s;
  return rows;
}

Result<int64_t> PostgresStore::HistoryDeviceId(int64_t tenant_id, const std::string& uid) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  Connection& conn = **lease;
  Transaction txn(conn);
  if (Status s = txn.Begin(/*read_only=*/true); !s.ok()) return s;
  if (Status s = txn.SetTenant(tenant_id); !s.ok()) return s;
  auto device_id = DeviceIdForHistory(conn, tenant_id, uid);
  if (!device_id.ok()) return device_id.status();
  if (Status s = txn.Commit(); !s.ok()) return s;
  return *device_id;
}

Result<PositionPage> PostgresStore::QueryPositions(const PositionQuery& query) {
  return ReadPositions(query, std::nullopt);
}

Result<PositionPage> PostgresStore::QueryDevicePositions(int64_t device_id, const PositionQuery& query) {
  return ReadPositions(query, device_id);
}

Result<PositionPage> PostgresStore::ReadPositions(const PositionQuery& query, std::optional<int64_t> known_device) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const int limit = std::clamp(query.limit, 1, kMaxPageSize);
  int64_t lower = query.from.value_or(kMin);
  if (query.after) {
    if (*query.after == kMax) return PositionPage{};
    lower = std::max(lower, *query.after + 1);
  }
  const int64_t upper = query.to.value_or(kMax);  // exclusive

  auto rows = ReadAsTenant(query.tenant_id, [&](Connection& conn) -> Result<pg::QueryResult> {
    auto device_id = known_device ? Result<int64_t>(*known_device)
                                  : DeviceIdForHistory(conn, query.tenant_id, query.device_uid);
    if (!device_id.ok()) return device_id.status();
    return conn.Exec(
        "SELECT ts, body FROM positions WHERE device_id = $1 AND tenant_id = $2 AND ts >= $3 AND ts < $4"
        " ORDER BY ts LIMIT $5",
        Params().Int64(*device_id).Int64(query.tenant_id).Int64(lower).Int64(upper).Int64(limit), "query positions");
  });
  if (!rows.ok()) return rows.status();
  // JSON is decoded after the connection went back to the pool.
  PositionPage page;
  page.positions.reserve(static_cast<size_t>(rows->rows()));
  for (int i = 0; i < rows->rows(); ++i) {
    auto message = MessageFromJsonText(rows->Bytes(i, 1));
    if (!message.ok()) return CorruptBody(message.status());
    page.positions.push_back(std::move(*message));
  }
  if (page.positions.size() == static_cast<size_t>(limit)) page.next = rows->Int64(rows->rows() - 1, 0);
  return page;
}

namespace {

// Rows of (tenant_id, device_id, body) as envelopes.
Result<std::vector<Envelope>> LatestEnvelopes(const pg::QueryResult& rows) {
  std::vector<Envelope> out;
  out.reserve(static_cast<size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    auto message = MessageFromJsonText(rows.Bytes(i, 2));
    if (!message.ok()) return CorruptBody(message.status());
    out.push_back(Envelope{rows.Int64(i, 0), rows.Int64(i, 1), std::move(*message)});
  }
  return out;
}

}  // namespace

Result<std::vector<Envelope>> PostgresStore::LatestPositions(std::optional<int64_t> tenant_id) {
  auto rows = ReadAsTenant(tenant_id, [&](Connection& conn) {
    // Per device, its (device_id, ts) key walked backwards to the first located row.
    return conn.Exec(
        "SELECT d.tenant_id, d.id, p.body FROM devices d"
        " CROSS JOIN LATERAL (SELECT body FROM positions"
        "   WHERE device_id = d.id AND tenant_id = d.tenant_id AND lat IS NOT NULL AND lng IS NOT NULL"
        "   ORDER BY ts DESC LIMIT 1) p"
        " WHERE d.removed_at IS NULL AND ($1::bigint IS NULL OR d.tenant_id = $1)"
        " ORDER BY d.id",
        Params().OptionalInt64(tenant_id), "latest positions");
  });
  if (!rows.ok()) return rows.status();
  return LatestEnvelopes(*rows);
}

Result<std::vector<Envelope>> PostgresStore::LatestDevicePositions(int64_t tenant_id,
                                                                   std::span<const int64_t> device_ids) {
  if (device_ids.empty()) return std::vector<Envelope>();
  std::string ids = "{";  // a bigint[] literal, cast on the server
  for (size_t i = 0; i < device_ids.size(); ++i) {
    if (i > 0) ids += ',';
    ids += std::to_string(device_ids[i]);
  }
  ids += '}';
  auto rows = ReadAsTenant(tenant_id, [&](Connection& conn) {
    return conn.Exec(
        "SELECT $1::bigint, d.id, p.body FROM unnest($2::text::bigint[]) AS d (id)"
        " CROSS JOIN LATERAL (SELECT body FROM positions"
        "   WHERE device_id = d.id AND tenant_id = $1 AND lat IS NOT NULL AND lng IS NOT NULL"
        "   ORDER BY ts DESC LIMIT 1) p"
        " ORDER BY d.id",
        Params().Int64(tenant_id).Text(ids), "latest positions");
  });
  if (!rows.ok()) return rows.status();
  return LatestEnvelopes(*rows);
}

}  // namespace fleetd
