// Partition names come only from PartitionName (digits and a fixed table
// name), so the DDL built from them needs no quoting of outside input.
#include "store/postgres/pg_partitions.h"

#include <algorithm>
#include <charconv>

#include "core/time_util.h"
#include "store/postgres/pg_locks.h"
#include "store/postgres/pg_transaction.h"

namespace fleetd::pg {
namespace {

Status BeginDdl(Transaction& txn, Connection& conn, int lock_timeout_ms) {
  if (Status s = txn.Begin(); !s.ok()) return s;
  std::string timeout = "SET LOCAL lock_timeout = " + std::to_string(std::max(lock_timeout_ms, 1));
  if (Status s = conn.Script(timeout.c_str(), "set lock timeout"); !s.ok()) return s;
  auto r = conn.Exec("SELECT pg_advisory_xact_lock($1)", Params().Int64(kPartitionLock), "lock partitions");
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace

bool HasDayPartition(TimestampMs ts) { return ts >= 0 && ts <= kMaxTimestampMs; }

int64_t DayOf(TimestampMs ts) { return ts / kDayMs; }

std::vector<int64_t> DaysAhead(TimestampMs now, int ahead) {
  std::vector<int64_t> days;
  if (!HasDayPartition(now)) return days;
  for (int64_t d = DayOf(now); d <= DayOf(now) + ahead && d <= DayOf(kMaxTimestampMs); ++d) days.push_back(d);
  return days;
}

std::string PartitionName(std::string_view table, int64_t day) {
  std::string date = FormatIso8601(day * kDayMs);  // "YYYY-MM-DDT00:00:00Z"
  std::string name(table);
  name += "_p";
  name += date.substr(0, 4);
  name += date.substr(5, 2);
  name += date.substr(8, 2);
  return name;
}

std::optional<int64_t> PartitionDay(std::string_view table, std::string_view name) {
  if (!name.starts_with(table) || name.substr(table.size()).size() != 10) return std::nullopt;
  std::string_view rest = name.substr(table.size());
  if (!rest.starts_with("_p")) return std::nullopt;
  std::string_view digits = rest.substr(2);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  auto number = [&](size_t pos, size_t len) {
    int v = 0;
    std::from_chars(digits.data() + pos, digits.data() + pos + len, v);
    return v;
  };
  auto ts = MakeTimestamp(number(0, 4), number(4, 2), number(6, 2), 0, 0, 0);
  if (!ts || !HasDayPartition(*ts)) return std::nullopt;
  int64_t day = DayOf(*ts);
  if (PartitionName(table, day) != name) return std::nullopt;  // e.g. 20260230
  return day;
}

Result<int> CreateDayPartitions(Connection& conn, std::span<const int64_t> days, int lock_timeout_ms) {
  // Which are missing? Asked without the lock: usually none are.
  std::vector<std::pair<std::string_view, int64_t>> missing;
  for (std::string_view table : kPartitionedTables) {
    for (int64_t day : days) {
      auto r =
          conn.Exec("SELECT to_regclass($1) IS NULL", Params().Text(PartitionName(table, day)), "look up partition");
      if (!r.ok()) return r.status();
      if (r->Bool(0, 0)) missing.emplace_back(table, day);
    }
  }
  if (missing.empty()) return 0;
  Transaction txn(conn);
  if (Status s = BeginDdl(txn, conn, lock_timeout_ms); !s.ok()) return s;
  for (const auto& [table, day] : missing) {
    std::string sql = "CREATE TABLE IF NOT EXISTS " + PartitionName(table, day) + " PARTITION OF " +
                      std::string(table) + " FOR VALUES FROM (" + std::to_string(day * kDayMs) + ") TO (" +
                      std::to_string((day + 1) * kDayMs) + ")";
    if (Status s = conn.Script(sql.c_str(), "create partition " + PartitionName(table, day)); !s.ok()) return s;
  }
  if (Status s = txn.Commit(); !s.ok()) return s;
  return static_cast<int>(missing.size());
}

Result<std::vector<int64_t>> ListDayPartitions(Connection& conn, std::string_view table) {
  auto r = conn.Exec(
      "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
      " WHERE i.inhparent = to_regclass($1)",
      Params().Text(table), "list partitions");
  if (!r.ok()) return r.status();
  std::vector<int64_t> days;
  for (int row = 0; row < r->rows(); ++row) {
    if (auto day = PartitionDay(table, r->Bytes(row, 0))) days.push_back(*day);
  }
  std::sort(days.begin(), days.end());
  return days;
}

Status DropDayPartitions(Connection& conn, std::string_view table, std::span<const int64_t> days, int lock_timeout_ms) {
  if (days.empty()) return Status::Ok();
  Transaction txn(conn);
  if (Status s = BeginDdl(txn, conn, lock_timeout_ms); !s.ok()) return s;
  for (int64_t day : days) {
    std::string sql = "DROP TABLE IF EXISTS " + PartitionName(table, day);
    if (Status s = conn.Script(sql.c_str(), "drop partition " + PartitionName(table, day)); !s.ok()) return s;
  }
  return txn.Commit();
}

}  // namespace fleetd::pg
