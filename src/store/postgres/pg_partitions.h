// Daily range partitions of positions and events: naming, creation, listing
// and dropping.
//
// A day's partition is <table>_pYYYYMMDD covering [day start, next day start)
// in ms, for days from 1970-01-01 through 9999-12-31 (the times schema v1
// can carry), made ahead by maintenance and on demand by writes. DDL runs in its own short transaction under an
// advisory lock, so concurrent creators never collide, and with a lock
// timeout, so maintenance waiting behind a long query fails (and retries on
// its next run) instead of queueing every writer behind its lock request.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fleetd/message.h"
#include "fleetd/status.h"
#include "store/postgres/pg_connection.h"

namespace fleetd::pg {

inline constexpr int64_t kDayMs = 86'400'000;
inline constexpr int64_t kHourMs = 3'600'000;

// The tables partitioned by day.
inline constexpr std::string_view kPartitionedTables[] = {"positions", "events"};

// True when `ts` falls on a day that gets a partition (1970 through 9999).
bool HasDayPartition(TimestampMs ts);
// Days since 1970-01-01 of `ts`; precondition HasDayPartition(ts).
int64_t DayOf(TimestampMs ts);

// The days from the day of `now` through `ahead` days later (none if `now`
// has no day partition).
std::vector<int64_t> DaysAhead(TimestampMs now, int ahead);

// "positions_p20260521" for table "positions" and the day of 2026-05-21.
std::string PartitionName(std::string_view table, int64_t day);
// The day a partition name stands for, or nullopt if `name` is not one of
// `table`'s day partitions (e.g. a table made by hand).
std::optional<int64_t> PartitionDay(std::string_view table, std::string_view name);

// Creates, for every partitioned table, the day partitions of `days` that do
// not exist yet (a no-op without DDL when all exist). Returns how many it made.
Result<int> CreateDayPartitions(Connection& conn, std::span<const int64_t> days, int lock_timeout_ms);

// The days that have a partition of `table`, ascending.
Result<std::vector<int64_t>> ListDayPartitions(Connection& conn, std::string_view table);

// Drops `table`'s partitions of `days` (whole tables: no row-by-row delete).
Status DropDayPartitions(Connection& conn, std::string_view table, std::span<const int64_t> days, int lock_timeout_ms);

}  // namespace fleetd::pg
