#include "app/server.h"

#include <cstdio>
#include <thread>

#include "api/http_server.h"
#include "app/adapters.h"
#include "app/mqtt_access.h"
#include "app/periodic_task.h"
#include "app/secrets.h"
#include "listen/device_directory.h"
#include "listen/io_pool.h"
#include "listen/mqtt/mqtt_bridge.h"
#include "listen/mqtt/state_publisher.h"
#include "listen/tcp_listener.h"
#include "listen/udp_listener.h"
#include "process/processor.h"
#include "store/postgres/pg_url.h"

namespace fleetd {

Result<std::unique_ptr<Server>> Server::Start(const Config& config, const ProtocolRegistry& protocols) {
  std::unique_ptr<Server> s(new Server());
  s->config_ = config;
  auto secret = LoadOrCreateJwtSecret(config);
  if (!secret.ok()) return secret.status();
  s->jwt_secret_ = *secret;

  const Roles roles = config.roles;
  // Processes never migrate unless the URL asks (migrate=true): `fleetd
  // migrate` does. An API-only node runs as the restricted role (role=api).
  StoreOpenOptions store_options;
  store_options.migrate = false;
  store_options.api_role = roles.api && !roles.ingest && !roles.process;
  // Tenants' own databases hold only time series, which ingest never reads:
  // an ingest-only node needs just the directory (device lookups, pending).
  if (roles.process || roles.api) store_options.tenant_dsns = config.store_tenants;
  auto store = OpenStore(config.store_url, store_options);
  if (!store.ok()) return store.status();
  s->store_ = std::move(*store);
  if (roles.ingest || roles.process) {
    auto queue = OpenQueue(config.queue_url, static_cast<size_t>(config.queue_capacity));
    if (!queue.ok()) return queue.status();
    s->queue_ = std::move(*queue);
    s->metrics_.AddGauge("fleetd_queue_depth", [q = s->queue_.get()] { return static_cast<double>(q->depth()); },
                         "Messages published and not yet stored");
  }
  auto live = OpenLiveState(config.live_url);
  if (!live.ok()) return live.status();
  s->live_ = std::move(*live);

  // A restarted server serves the whole fleet's last-known state at once. A
  // shared live state (Redis) already holds it; only the processor warms it.
  if (roles.process || (roles.api && config.live_url.rfind("memory", 0) == 0)) {
    auto latest = s->store_->LatestPositions(std::nullopt);
    if (!latest.ok()) return latest.status();
    s->live_->Update(*latest);
  }

  s->devices_ = std::make_unique<DeviceDirectory>(*s->store_);
  s->pool_ = std::make_unique<IoPool>(static_cast<size_t>(config.threads));

  if (roles.process) {
    ProcessorOptions popts;
    popts.batch_size = static_cast<size_t>(config.batch_size);
    popts.max_wait = std::chrono::milliseconds(config.batch_wait_ms);
    popts.workers = static_cast<size_t>(config.process_workers);
    if (popts.workers == 0) popts.workers = pg::IsPostgresUrl(config.store_url) ? 4 : 1;
    // Events go out beside the queue they came through: a nats:// queue
    // publishes them on their own subjects; the embedded queue has no sink.
    auto events = OpenEventSink(config.queue_url);
    if (!events.ok()) return events.status();
    s->events_ = std::move(*events);
    s->processor_ =
        std::make_unique<Processor>(*s->queue_, *s->store_, *s->live_, s->metrics_, popts, s->events_.get());
  }

  if (roles.ingest) {
    if (Status st = s->StartListeners(config, protocols); !st.ok()) return st;
  }
  if (!config.mqtt_url.empty()) {
    if (Status st = s->StartMqtt(config); !st.ok()) return st;
  }

  api::ApiContext ctx{*s->store_, *s->live_, s->metrics_, s->jwt_secret_};
  ctx.token_ttl = std::chrono::seconds(config.token_ttl_s);
  ctx.registered_ttl = std::chrono::milliseconds(config.registered_ttl_ms);
  ctx.metrics_only = !roles.api;
  ctx.metrics_token = config.metrics_token;
  if (s->mqtt_client_ && roles.api) {
    auto client = s->mqtt_client_;
    ctx.send_command = [client](const std::string& uid, const std::string& payload) {
      return client->PublishMessage("fleet/" + uid + "/cmd", payload, 1, false);
    };
  }
  s->api_ = std::make_unique<api::ApiServer>(s->pool_->At(0), config.api.host, config.api.port, std::move(ctx));
  if (Status st = s->api_->Start(); !st.ok()) return st;

  if (s->processor_) s->processor_->Start();
  s->pool_->Start();
  // The process role keeps the store maintained (PostgreSQL: partitions
  // ahead, rollups, retention), every 10 minutes; one process's run at a
  // time (the others get kBusy and skip).
  if (roles.process) {
    if (auto run = StoreMaintenance(*s->store_)) {
      s->maintenance_ = std::make_unique<PeriodicTask>(
          [run] {
            Status st = run();
            if (!st.ok() && st.code() != StatusCode::kBusy) {
              std::fprintf(stderr, "fleetd: store maintenance: %s\n", st.ToString().c_str());
            }
          },
          std::chrono::minutes(10));
    }
  }
  return s;
}

Status Server::StartListeners(const Config& config, const ProtocolRegistry& protocols) {
  ListenerDeps deps{*queue_, *devices_, metrics_};
  for (const auto& spec : config.listens) {
    const ProtocolInfo* protocol = protocols.Find(spec.protocol);
    if (!protocol) return Status(StatusCode::kInvalidArgument, "unknown protocol '" + spec.protocol + "'");
    ListenerOptions lopts;
    lopts.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
    for (const auto& name : config.lenient_protocols) lopts.lenient = lopts.lenient || name == spec.protocol;
    auto listener = std::make_unique<TcpListener>(*pool_, *protocol, deps, lopts);
    Status st = listener->Start(spec.endpoint.host, spec.endpoint.port);
    if (!st.ok()) return st;
    if (protocol->make_datagram_decoder) {  // the same port number over UDP
      auto udp = std::make_unique<UdpListener>(*pool_, *protocol, deps, lopts);
      st = udp->Start(spec.endpoint.host, listener->port());
      if (!st.ok()) return st;
      udp_listeners_.push_back(std::move(udp));
    }
    listeners_.push_back(std::move(listener));
  }
  return Status::Ok();
}

Status Server::StartMqtt(const Config& config) {
  const Roles roles = config.roles;
  auto access = BrokerAccessFromConfig(config);
  if (!access.ok()) return access.status();
  // The broker may not be up yet (or may not use dynamic security): the
  // client keeps reconnecting either way, so a failure here is only logged.
  {
    auto admin = ConnectBrokerAdmin(*access, std::chrono::seconds(3));
    Status ensured = admin.ok() ? (*admin)->EnsureServiceRole() : admin.status();
    if (!ensured.ok()) std::fprintf(stderr, "fleetd: MQTT broker role not ensured: %s\n", ensured.ToString().c_str());
  }
  auto log_state = [](bool connected, const Status& why) {
    if (connected) {
      std::fprintf(stderr, "fleetd: connected to the MQTT broker\n");
    } else {
      std::fprintf(stderr, "fleetd: MQTT broker: %s (reconnecting)\n", why.ToString().c_str());
    }
  };
  auto& io = pool_->Next();
  if (roles.ingest) {
    // Ingest nodes subscribe (shared); the same connection publishes state and commands.
    MqttBridgeOptions mopts;
    mopts.topic_root = access->topic_root;
    mopts.share_group = access->share_group;
    for (const auto& name : config.lenient_protocols) mopts.lenient = mopts.lenient || name == "mqtt";
    mqtt_bridge_ = std::make_unique<MqttBridge>(io, access->client, ListenerDeps{*queue_, *devices_, metrics_}, mopts);
    mqtt_bridge_->client().set_state_handler(log_state);
    mqtt_bridge_->Start();
    mqtt_client_ = mqtt_bridge_->client().shared_from_this();
  } else {
    // Process and API nodes only publish: a session of their own, with no
    // subscription and nothing for the broker to keep.
    mqtt::ClientOptions options = access->client;
    options.connect.client_id += roles.process ? "-process" : "-api";
    options.connect.clean_start = true;
    options.connect.session_expiry_s = 0;
    mqtt_client_ = std::make_shared<mqtt::Client>(io, options, metrics_);
    mqtt_client_->set_state_handler(log_state);
    mqtt_client_->Start();
  }
  if (roles.process) {
    state_publisher_ = std::make_unique<StatePublisher>(io, mqtt_client_, *live_, access->topic_root);
    state_publisher_->Start();
  }
  return Status::Ok();
}

Server::~Server() { Stop(); }

void Server::Stop() {
  if (stopped_) return;
  stopped_ = true;
  maintenance_.reset();  // waits for a run in progress
  for (auto& l : listeners_) l->Stop();
  for (auto& l : udp_listeners_) l->Stop();
  if (api_) api_->Stop();
  if (state_publisher_) state_publisher_->Stop();
  // Let the processor drain what devices already sent before closing the queue.
  for (int i = 0; i < 200 && queue_ && queue_->depth() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (queue_) queue_->Close();
  if (processor_) processor_->Stop();
  // After the processor: acks for what it stored are on their way to the broker.
  if (mqtt_bridge_) {
    mqtt_bridge_->Stop();
  } else if (mqtt_client_) {
    mqtt_client_->Stop();
  }
  if (mqtt_client_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (pool_) pool_->Stop();
  api_.reset();
  listeners_.clear();
  udp_listeners_.clear();
}

uint16_t Server::listener_port(const std::string& protocol) const {
  for (const auto& l : listeners_) {
    if (l->protocol_name() == protocol) return l->port();
  }
  return 0;
}

uint16_t Server::udp_port(const std::string& protocol) const {
  for (const auto& l : udp_listeners_) {
    if (l->protocol_name() == protocol) return l->port();
  }
  return 0;
}

bool Server::mqtt_connected() const { return mqtt_client_ && mqtt_client_->connected(); }

uint16_t Server::api_port() const { return api_ ? api_->port() : 0; }

}  // namespace fleetd
