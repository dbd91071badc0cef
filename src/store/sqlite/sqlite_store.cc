// SqliteStore: opening, the statement cache, and the message tables
// (WriteBatch, QueryPositions, LatestPositions). Administration is in
// sqlite_store_admin.cc.
#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>
#include <utility>

#include "core/message_json.h"
#include "store/sqlite/sqlite_schema.h"

namespace fleetd {

using sqlite::ResetOnExit;
using sqlite::Statement;

namespace {

constexpr int kMaxPageSize = 10000;

constexpr const char* kInsertPosition =
    "INSERT OR IGNORE INTO positions"
    " (device_id, ts, tenant_id, received_at, lat, lng, speed_kmh, body)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kInsertEvent =
    "INSERT OR IGNORE INTO events (tenant_id, device_id, ts, type, body) VALUES (?1, ?2, ?3, ?4, ?5)";
// RewriteBatch: the same rows, replacing a stored row of the same key (a
// device's tenant never changes, so tenant_id stays).
constexpr const char* kUpsertPosition =
    "INSERT INTO positions"
    " (device_id, ts, tenant_id, received_at, lat, lng, speed_kmh, body)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT (device_id, ts) DO UPDATE SET received_at = excluded.received_at,"
    " lat = excluded.lat, lng = excluded.lng,"
    " speed_kmh = excluded.speed_kmh, body = excluded.body";
constexpr const char* kUpsertEvent =
    "INSERT INTO events (tenant_id, device_id, ts, type, body) VALUES (?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT (device_id, ts, type) DO UPDATE SET body = excluded.body";

Status PragmaExec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK) return Status::Ok();
  return sqlite::Error(db, sql);
}

Status CorruptBody(const Status& parse) {
  return Status(StatusCode::kInternal, "stored message body does not parse: " + parse.ToString());
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, SqliteStoreOptions options) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = sqlite::Error(db, "open " + path);
    sqlite3_close(db);
    return s;
  }
  // Owned from here on: the destructor closes it on every early return.
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  // journal_mode answers "memory" for ":memory:", which is fine.
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON"}) {
    if (Status s = PragmaExec(db, pragma); !s.ok()) return s;
  }
  const char* sync = options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
  if (Status s = PragmaExec(db, sync); !s.ok()) return s;
  if (Status s = sqlite::Migrate(db); !s.ok()) return s;
  return store;
}

SqliteStore::~SqliteStore() {
  statements_.clear();  // finalize before closing, or close fails with SQLITE_BUSY
  sqlite3_close(db_);
}

Result<Statement*> SqliteStore::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second.get();
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
    return sqlite::Error(db_, std::string("prepare ") + sql);
  }
  auto& slot = statements_[sql];
  slot = std::make_unique<Statement>(db_, raw);
  return slot.get();
}

Status SqliteStore::Exec(const char* sql) {
  auto stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  return (*stmt)->Run(sql);
}

Result<WriteStats> SqliteStore::WriteBatch(std::span<const Envelope> batch) { return Write(batch, false); }

Result<WriteStats> SqliteStore::RewriteBatch(std::span<const Envelope> batch) { return Write(batch, true); }

Result<WriteStats> SqliteStore::Write(std::span<const Envelope> batch, bool replace) {
  // Encode outside the lock so API reads do not wait on JSON work.
  std::vector<std::string> bodies(batch.size());
  bool any = false;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].message.ts) continue;
    bodies[i] = MessageToJsonText(batch[i].message);
    any = true;
  }
  WriteStats stats;
  if (!any) return stats;

  std::lock_guard lock(mu_);
  if (Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  if (Status s = WriteLocked(batch, bodies, replace, stats); !s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  if (Status s = Exec("COMMIT"); !s.ok()) {
    (void)Exec("ROLLBACK");  // a failed COMMIT may leave the transaction open
    return s;
  }
  return stats;
}

Status SqliteStore::WriteLocked(std::span<const Envelope> batch, const std::vector<std::string>& bodies, bool replace,
                                WriteStats& stats) {
  auto pos = Prepare(replace ? kUpsertPosition : kInsertPosition);
  if (!pos.ok()) return pos.status();
  auto ev = Prepare(replace ? kUpsertEvent : kInsertEvent);
  if (!ev.ok()) return ev.status();
  Statement& p = **pos;
  Statement& e = **ev;
  // An upsert would let a later repeat of a key overwrite the first; keep
  // the first, as INSERT OR IGNORE does.
  std::set<std::pair<int64_t, TimestampMs>> positions_seen;
  std::set<std::tuple<int64_t, TimestampMs, Alarm>> events_seen;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Envelope& env = batch[i];
    const Message& m = env.message;
    if (!m.ts) continue;
    const bool repeat = replace && !positions_seen.emplace(env.device_id, *m.ts).second;
    if (repeat) {
      ++stats.duplicates;
    } else {
      if (Status s = WritePosition(p, env, bodies[i], stats); !s.ok()) return s;
    }
    auto alarm = EventAlarm(m);
    if (!alarm || (replace && !events_seen.emplace(env.device_id, *m.ts, *alarm).second)) continue;
    e.Bind(1, env.tenant_id);
    e.Bind(2, env.device_id);
    e.Bind(3, *m.ts);
    e.Bind(4, AlarmName(*alarm));
    e.Bind(5, bodies[i]);
    if (Status s = e.Run("insert event"); !s.ok()) return s;
    stats.events_written += sqlite3_changes(db_);
  }
  return Status::Ok();
}

Status SqliteStore::WritePosition(Statement& p, const Envelope& env, const std::string& body, WriteStats& stats) {
  const Message& m = env.message;
  p.Bind(1, env.device_id);
  p.Bind(2, *m.ts);
  p.Bind(3, env.tenant_id);
  p.Bind(4, m.received_at);
  p.Bind(5, m.lat);
  p.Bind(6, m.lng);
  p.Bind(7, m.speed_kmh);
  p.Bind(8, body);
  if (Status s = p.Run("insert position"); !s.ok()) return s;
  if (sqlite3_changes(db_) > 0) {
    ++stats.positions_written;  // inserted, or (upsert) replaced
  } else {
    ++stats.duplicates;
  }
  return Status::Ok();
}

Result<PositionPage> SqliteStore::QueryPositions(const PositionQuery& query) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const int limit = std::clamp(query.limit, 1, kMaxPageSize);
  int64_t lower = query.from.value_or(kMin);
  if (query.after) {
    if (*query.after == kMax) return PositionPage{};
    lower = std::max(lower, *query.after + 1);
  }
  const int64_t upper = query.to.value_or(kMax);  // exclusive

  std::lock_guard lock(mu_);
  // The active device with that uid, else the newest removed one: a removed
  // device's history stays queryable by its tenant.
  auto find = Prepare(
      "SELECT id FROM devices WHERE uid = ?1 AND tenant_id = ?2"
      " ORDER BY removed_at IS NOT NULL, id DESC LIMIT 1");
  if (!find.ok()) return find.status();
  int64_t device_id = 0;
  {
    Statement& f = **find;
    ResetOnExit reset(f);
    f.Bind(1, query.device_uid);
    f.Bind(2, query.tenant_id);
    int rc = f.Step();
    if (rc == SQLITE_DONE)
      return Status(StatusCode::kNotFound, "device '" + query.device_uid + "' not found");
    if (rc != SQLITE_ROW) return sqlite::Error(db_, "find device");
    device_id = f.Int64(0);
  }

  auto select = Prepare(
      "SELECT ts, body FROM positions"
      " WHERE device_id = ?1 AND tenant_id = ?2 AND ts >= ?3 AND ts < ?4"
      " ORDER BY ts LIMIT ?5");
  if (!select.ok()) return select.status();
  Statement& q = **select;
  ResetOnExit reset(q);
  q.Bind(1, device_id);
  q.Bind(2, query.tenant_id);
  q.Bind(3, lower);
  q.Bind(4, upper);
  q.Bind(5, static_cast<int64_t>(limit));
  PositionPage page;
  int rc;
  TimestampMs last_ts = 0;
  while ((rc = q.Step()) == SQLITE_ROW) {
    auto message = MessageFromJsonText(q.TextView(1));
    if (!message.ok()) return CorruptBody(message.status());
    last_ts = q.Int64(0);
    page.positions.push_back(std::move(*message));
  }
  if (rc != SQLITE_DONE) return sqlite::Error(db_, "query positions");
  if (page.positions.size() == static_cast<size_t>(limit)) page.next = last_ts;
  return page;
}

Result<std::vector<Envelope>> SqliteStore::LatestPositions(std::optional<int64_t> tenant_id) {
  std::lock_guard lock(mu_);
  // Per device, walk its (device_id, ts) key backwards to the first located row.
  auto select = Prepare(
      "SELECT d.tenant_id, d.id, p.body FROM devices d"
      " JOIN positions p ON p.device_id = d.id AND p.tenant_id = d.tenant_id AND p.ts = ("
      "   SELECT ts FROM positions WHERE device_id = d.id AND lat IS NOT NULL AND lng IS NOT NULL"
      "   ORDER BY ts DESC LIMIT 1)"
      " WHERE (?1 IS NULL OR d.tenant_id = ?1) AND d.removed_at IS NULL"
      " ORDER BY d.id");
  if (!select.ok()) return select.status();
  Statement& q = **select;
  ResetOnExit reset(q);
  q.Bind(1, tenant_id);
  std::vector<Envelope> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    auto message = MessageFromJsonText(q.TextView(2));
    if (!message.ok()) return CorruptBody(message.status());
    Envelope e;
    e.tenant_id = q.Int64(0);
    e.device_id = q.Int64(1);
    e.message = std::move(*message);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return sqlite::Error(db_, "latest positions");
  return out;
}

}  // namespace fleetd
