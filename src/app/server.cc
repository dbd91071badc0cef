#include "app/server.h"

#include <thread>

#include "api/http_server.h"
#include "app/adapters.h"
#include "app/secrets.h"
#include "listen/device_directory.h"
#include "listen/io_pool.h"
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
  // Let the processor drain what devices already sent before closing the queue.
  for (int i = 0; i < 200 && queue_ && queue_->depth() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (queue_) queue_->Close();
  if (processor_) processor_->Stop();
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

uint16_t Server::api_port() const { return api_ ? api_->port() : 0; }

}  // namespace fleetd
