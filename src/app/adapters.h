// Adapters chosen by URL: the only place that knows which implementation
// stands behind each tier interface. Core code never includes an adapter.
//
//   --store  sqlite:<path>, postgresql://...[?role=api|writer&migrate=true|false]
//            (+ --store-tenant NAME=postgresql://..., repeatable)
//   --queue  memory:, nats://host:port[?partitions=&consume=auto|all|0-7&lease=...]
//   --live   memory:, redis://host:port[/db]
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "fleetd/event_sink.h"
#include "fleetd/live_state.h"
#include "fleetd/queue.h"
#include "fleetd/store.h"

namespace fleetd {

struct StoreOpenOptions {
  // PostgreSQL: apply pending migrations on open (the URL's migrate= wins).
  // false: a database older than this build is refused, naming `fleetd
  // migrate`. SQLite always migrates on open.
  bool migrate = true;
  // PostgreSQL: open as the API role (role=api, docs/postgres.md) unless
  // the URL says role=writer.
  bool api_role = false;
  // PostgreSQL: the tenant -> DSN map (docs/postgres.md). Not empty: the
  // store is a RoutedPostgresStore over `url` (the directory) and the
  // tenants' own databases or schemas; every tenant it names must exist.
  std::map<std::string, std::string> tenant_dsns = {};
};

// Opens (and creates/migrates) the store. kInvalidArgument for an unknown
// scheme, with the schemes this build supports in the message, and for a
// tenant map beside a store that is not PostgreSQL.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOpenOptions& options = {});
// The store's periodic maintenance, if it has any (PostgreSQL: partitions
// ahead, rollups, retention; PostgresStore::RunMaintenance, on every
// database of a tenant map), as a function that runs it once; kBusy when
// another process's run holds the lock. Null
// for stores without maintenance. `store` must outlive the function.
std::function<Status()> StoreMaintenance(Store& store);

Result<std::unique_ptr<Queue>> OpenQueue(const std::string& url, size_t capacity);
Result<std::unique_ptr<LiveState>> OpenLiveState(const std::string& url);
// Forgets one device (LiveState::Forget) in the shared live state at `url`
// (redis://), opened without a feed subscription for this one command.
Status ForgetLiveDevice(const std::string& url, int64_t tenant_id, const std::string& device_uid);
// The event sink that goes with the queue at `queue_url`: for nats://, the
// JetStream events stream of the same servers, stream and prefix
// (queue/nats/nats_event_sink.h); for memory:, none (null: the processor
// publishes no events). Errors as OpenQueue's.
Result<std::unique_ptr<EventSink>> OpenEventSink(const std::string& queue_url);

}  // namespace fleetd
