#include "app/adapters.h"

#include <filesystem>

#include "core/time_util.h"
#include "live/memory/memory_live_state.h"
#include "live/redis/redis_live_state.h"
#include "live/redis/redis_url.h"
#include "queue/memory/memory_queue.h"
#include "queue/nats/nats_event_sink.h"
#include "queue/nats/nats_queue.h"
#include "store/postgres/pg_url.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/routed_postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace fleetd {
namespace {

bool StartsWith(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

Status Unknown(const char* tier, const std::string& url, const char* supported) {
  return Status(StatusCode::kInvalidArgument,
                std::string(tier) + " URL '" + url + "' is not supported by this build (supported: " +
                    supported + ")");
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOpenOptions& options) {
  if (!options.tenant_dsns.empty() && !pg::IsPostgresUrl(url)) {
    return Status(StatusCode::kInvalidArgument,
                  "store_tenants needs a postgresql:// store (the directory), not '" + url + "'");
  }
  if (StartsWith(url, "sqlite:")) {
    std::string path = url.substr(7);
    if (StartsWith(path, "//")) path = path.substr(2);  // sqlite:///abs/path
    if (path.empty()) return Status(StatusCode::kInvalidArgument, "store URL 'sqlite:' needs a path");
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return Status(StatusCode::kIoError, "cannot create " + parent.string() + ": " + ec.message());
    auto store = SqliteStore::Open(path);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  if (pg::IsPostgresUrl(url)) {
    PostgresStoreOptions pg_options;
    pg_options.migrate = options.migrate;  // role= and migrate= in the URL override these
    pg_options.role = options.api_role ? pg::StoreRole::kApi : pg::StoreRole::kWriter;
    if (!options.tenant_dsns.empty()) {
      auto routed = RoutedPostgresStore::Open(url, options.tenant_dsns, pg_options);
      if (!routed.ok()) return routed.status();
      return std::unique_ptr<Store>(std::move(*routed));
    }
    auto store = PostgresStore::Open(url, pg_options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  return Unknown("store", url, "sqlite:<path>, postgresql://user:password@host:port/database");
}

std::function<Status()> StoreMaintenance(Store& store) {
  if (auto* routed = dynamic_cast<RoutedPostgresStore*>(&store)) {
    return [routed] {
      auto stats = routed->RunMaintenance(NowMs());
      return stats.ok() ? Status::Ok() : stats.status();
    };
  }
  auto* pg_store = dynamic_cast<PostgresStore*>(&store);
  if (!pg_store) return nullptr;
  return [pg_store] {
    auto stats = pg_store->RunMaintenance(NowMs());
    return stats.ok() ? Status::Ok() : stats.status();
  };
}

Result<std::unique_ptr<Queue>> OpenQueue(const std::string& url, size_t capacity) {
  if (url == "memory:" || url == "memory") return std::unique_ptr<Queue>(std::make_unique<MemoryQueue>(capacity));
  if (StartsWith(url, "nats://")) {  // NATS JetStream; `capacity` is the memory queue's (see window=)
    auto queue = nats::NatsQueue::Open(url);
    if (!queue.ok()) return queue.status();
    return std::unique_ptr<Queue>(std::move(*queue));
  }
  return Unknown("queue", url, "memory:, nats://host:port[?stream=...&partitions=...]");
}

Result<std::unique_ptr<EventSink>> OpenEventSink(const std::string& queue_url) {
  if (!StartsWith(queue_url, "nats://")) return std::unique_ptr<EventSink>();
  auto sink = nats::NatsEventSink::Open(queue_url);
  if (!sink.ok()) return sink.status();
  return std::unique_ptr<EventSink>(std::move(*sink));
}

Result<std::unique_ptr<LiveState>> OpenLiveState(const std::string& url) {
  if (url == "memory:" || url == "memory") return std::unique_ptr<LiveState>(std::make_unique<MemoryLiveState>());
  if (StartsWith(url, "redis://")) {
    auto endpoint = ParseRedisUrl(url);
    if (!endpoint.ok()) return endpoint.status();
    RedisLiveStateOptions options;
    options.endpoint = *endpoint;
    auto live = RedisLiveState::Open(options);
    if (!live.ok()) return live.status();
    return std::unique_ptr<LiveState>(std::move(*live));
  }
  return Unknown("live", url, "memory:, redis://host:port[/db]");
}

Status ForgetLiveDevice(const std::string& url, int64_t tenant_id, const std::string& device_uid) {
  if (!StartsWith(url, "redis://")) return Unknown("live", url, "redis://host:port[/db]");
  auto endpoint = ParseRedisUrl(url);
  if (!endpoint.ok()) return endpoint.status();
  RedisLiveStateOptions options;
  options.endpoint = *endpoint;
  options.subscribe = false;  // one command: no feed to follow
  auto live = RedisLiveState::Open(options);
  if (!live.ok()) return live.status();
  return (*live)->Forget(tenant_id, device_uid);
}

}  // namespace fleetd
