// The advisory lock keys fleetd takes, in one place so none collide. Each is
// eight ASCII letters read as a big-endian int64. Advisory locks are per
// database, so separate fleetd databases in one cluster never contend.
#pragma once

#include <cstdint>

namespace fleetd::pg {

// Transaction lock around migrations ("fleetdmg").
inline constexpr int64_t kMigrationLock = 0x666c656574646d67;
// Transaction lock around partition DDL ("fleetdpt").
inline constexpr int64_t kPartitionLock = 0x666c656574647074;
// Session lock held for a whole RunMaintenance ("fleetdmt").
inline constexpr int64_t kMaintenanceLock = 0x666c656574646d74;
// The write barrier ("fleetdwb"): every WriteBatch transaction holds it
// shared; maintenance takes it exclusively for an instant after claiming
// rollup marks, which waits out every write that started before the claim.
inline constexpr int64_t kWriteBarrierLock = 0x666c656574647762;

}  // namespace fleetd::pg
