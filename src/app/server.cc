#include "app/server.h"

#include <cstdio>
#include <thread>

#include "api/http_server.h"
#include "app/adapters.h"
#include "app/mqtt_access.h"
#include "app/secrets.h"
#include "listen/device_directory.h"
#include "listen/io_pool.h"
#include "listen/mqtt/mqtt_bridge.h"
#include "listen/mqtt/state_publisher.h"
#include "listen/tcp_listener.h"
#include "listen/udp_listener.h"
#include "process/processor.h"

namespace fleetd {

Result<std::unique_ptr<Server>> Server::Start(const Config& config, const ProtocolRegistry& protocols) {
  std::unique_ptr<Server> s(new Server());
  s->config_ = config;
  auto secret = LoadOrCreateJwtSecret(config);
  if (!secret.ok()) return secret.status();
  s->jwt_secret_ = *secret;

  auto store = OpenStore(config.store_url);
  if (!store.ok()) return store.status();
  s->store_ = std::move(*store);
  auto queue = OpenQueue(config.queue_url, static_cast<size_t>(config.queue_capacity));
  if (!queue.ok()) return queue.status();
  s->queue_ = std::move(*queue);
  auto live = OpenLiveState(config.live_url);
  if (!live.ok()) return live.status();
  s->live_ = std::move(*live);

  // A restarted server serves the whole fleet's last-known state at once.
  auto latest = s->store_->LatestPositions(std::nullopt);
  if (!latest.ok()) return latest.status();
  s->live_->Update(*latest);

  s->metrics_.AddGauge("fleetd_queue_depth", [q = s->queue_.get()] { return static_cast<double>(q->depth()); },
                       "Messages published and not yet stored");
  s->devices_ = std::make_unique<DeviceDirectory>(*s->store_);
  s->pool_ = std::make_unique<IoPool>(static_cast<size_t>(config.threads));

  ProcessorOptions popts;
  popts.batch_size = static_cast<size_t>(config.batch_size);
  popts.max_wait = std::chrono::milliseconds(config.batch_wait_ms);
  s->processor_ = std::make_unique<Processor>(*s->queue_, *s->store_, *s->live_, s->metrics_, popts);

  ListenerDeps deps{*s->queue_, *s->devices_, s->metrics_};
  for (const auto& spec : config.listens) {
    const ProtocolInfo* protocol = protocols.Find(spec.protocol);
    if (!protocol) return Status(StatusCode::kInvalidArgument, "unknown protocol '" + spec.protocol + "'");
    ListenerOptions lopts;
    lopts.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
    for (const auto& name : config.lenient_protocols) lopts.lenient = lopts.lenient || name == spec.protocol;
    auto listener = std::make_unique<TcpListener>(*s->pool_, *protocol, deps, lopts);
    Status st = listener->Start(spec.endpoint.host, spec.endpoint.port);
    if (!st.ok()) return st;
    if (protocol->make_datagram_decoder) {  // the same port number over UDP
      auto udp = std::make_unique<UdpListener>(*s->pool_, *protocol, deps, lopts);
      st = udp->Start(spec.endpoint.host, listener->port());
      if (!st.ok()) return st;
      s->udp_listeners_.push_back(std::move(udp));
    }
    s->listeners_.push_back(std::move(listener));
  }

  if (!config.mqtt_url.empty()) {
    auto access = BrokerAccessFromConfig(config);
    if (!access.ok()) return access.status();
    // The broker may not be up yet (or may not use dynamic security): the
    // bridge keeps reconnecting either way, so a failure here is only logged.
    {
      mqtt::BrokerAccess admin_access = *access;
      admin_access.client.connect.client_id.clear();
      auto admin = mqtt::DynsecAdmin::Connect(admin_access, std::chrono::seconds(3));
      Status ensured = admin.ok() ? (*admin)->EnsureServiceRole() : admin.status();
      if (!ensured.ok()) std::fprintf(stderr, "fleetd: MQTT broker role not ensured: %s\n", ensured.ToString().c_str());
    }
    MqttBridgeOptions mopts;
    mopts.topic_root = access->topic_root;
    mopts.share_group = access->share_group;
    for (const auto& name : config.lenient_protocols) mopts.lenient = mopts.lenient || name == "mqtt";
    auto& io = s->pool_->Next();
    s->mqtt_bridge_ = std::make_unique<MqttBridge>(io, access->client, deps, mopts);
    s->mqtt_bridge_->client().set_state_handler([](bool connected, const Status& why) {
      if (connected) {
        std::fprintf(stderr, "fleetd: connected to the MQTT broker\n");
      } else {
        std::fprintf(stderr, "fleetd: MQTT broker: %s (reconnecting)\n", why.ToString().c_str());
      }
    });
    s->mqtt_bridge_->Start();
    s->state_publisher_ = std::make_unique<StatePublisher>(io, s->mqtt_bridge_->client().shared_from_this(),
                                                           *s->live_, access->topic_root);
    s->state_publisher_->Start();
  }

  api::ApiContext ctx{*s->store_, *s->live_, s->metrics_, s->jwt_secret_};
  ctx.token_ttl = std::chrono::seconds(config.token_ttl_s);
  s->api_ = std::make_unique<api::ApiServer>(s->pool_->At(0), config.api.host, config.api.port, std::move(ctx));
  if (Status st = s->api_->Start(); !st.ok()) return st;

  s->processor_->Start();
  s->pool_->Start();
  return s;
}

Server::~Server() { Stop(); }

void Server::Stop() {
  if (stopped_) return;
  stopped_ = true;
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
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
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

bool Server::mqtt_connected() const { return mqtt_bridge_ && mqtt_bridge_->client().connected(); }

uint16_t Server::api_port() const { return api_ ? api_->port() : 0; }

}  // namespace fleetd
