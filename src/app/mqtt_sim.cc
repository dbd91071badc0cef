#include "app/mqtt_sim.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/metrics.h"
#include "core/time_util.h"

namespace fleetd {
namespace {

namespace asio = boost::asio;

// One simulated gateway: connects, then publishes on a timer (or, in load
// mode, whenever its window has room).
class SimDevice : public std::enable_shared_from_this<SimDevice> {
 public:
  SimDevice(asio::io_context& io, const MqttSimOptions& o, size_t index, SimStats& stats, Metrics& metrics)
      : o_(o), stats_(stats), timer_(io), route_(o.seed * 7919 + index) {
    uid_ = o.devices[index].first;
    mqtt::ClientOptions c = o.broker;
    c.connect.username = uid_;
    c.connect.password = o.devices[index].second;
    c.connect.client_id = "sim-" + uid_;
    c.connect.clean_start = true;
    c.connect.session_expiry_s = 0;
    c.subscribe.clear();
    c.reconnect_max = std::chrono::milliseconds(1000);
    client_ = std::make_shared<mqtt::Client>(io, c, metrics);
    const int64_t now = NowMs();
    next_fix_ = o.start_time_ms ? o.start_time_ms
                                : (o.interval_ms == 0 && o.messages > 0 ? now - o.messages * 1000 : now);
  }

  void Start() {
    auto self = shared_from_this();
    client_->set_state_handler([self](bool connected, const Status& why) {
      if (connected) {
        if (!self->ever_connected_) self->stats_.connected++, self->stats_.logins_acked++;
        self->ever_connected_ = true;
        self->Tick();
      } else if (why.code() == StatusCode::kUnauthenticated && !self->refused_) {
        self->refused_ = true;
        self->stats_.logins_refused++;
        self->client_->Stop();
      }
    });
    client_->Start();
  }

  bool done() const {
    if (refused_) return true;
    return o_.messages > 0 && sent_ >= o_.messages && client_->outbound_acked() >= sent_;
  }
  void Stop() {
    timer_.cancel();
    client_->Stop();
  }
  int64_t acked() const { return client_->outbound_acked(); }

 private:
  void Tick() {
    if (!client_->connected() || refused_) return;
    const bool load = o_.interval_ms == 0;
    // Load mode: fill the window of unacknowledged publishes, then look again in 1 ms.
    int burst = load ? static_cast<int>(o_.window) - static_cast<int>(sent_ - client_->outbound_acked()) : 1;
    for (int i = 0; i < burst && (o_.messages == 0 || sent_ < o_.messages); ++i) {
      route_.Advance(1.0);
      std::string payload = MqttSimPayload(next_fix_, route_.lat(), route_.lng(), route_.speed(), route_.heading());
      if (!client_->PublishMessage("fleet/" + uid_ + "/telemetry", std::move(payload), 1, false).ok()) break;
      next_fix_ += 1000;
      ++sent_;
      stats_.positions_sent++;
    }
    if (o_.messages > 0 && sent_ >= o_.messages) return;
    timer_.expires_after(std::chrono::milliseconds(load ? 1 : o_.interval_ms));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->Tick();
    });
  }

  const MqttSimOptions& o_;
  SimStats& stats_;
  asio::steady_timer timer_;
  SimRoute route_;
  std::string uid_;
  std::shared_ptr<mqtt::Client> client_;
  int64_t next_fix_ = 0;
  int64_t sent_ = 0;
  bool ever_connected_ = false;
  bool refused_ = false;
};

}  // namespace

std::string MqttSimPayload(int64_t fix_time_ms, double lat, double lng, double speed, double heading) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                R"({"v":1,"ts":"%s","lat":%.6f,"lng":%.6f,"speed":%.1f,"heading":%.0f,"ignition":true,"battery_v":12.6})",
                FormatIso8601(fix_time_ms).c_str(), lat, lng, speed, heading);
  return buf;
}

void RunMqttSim(const MqttSimOptions& options, SimStats& stats, const std::atomic<bool>& stop) {
  asio::io_context io(1);
  Metrics metrics;
  std::vector<std::shared_ptr<SimDevice>> devices;
  for (size_t i = 0; i < options.devices.size(); ++i) {
    devices.push_back(std::make_shared<SimDevice>(io, options, i, stats, metrics));
    devices.back()->Start();
  }
  const auto started = std::chrono::steady_clock::now();
  auto all_done = [&] {
    for (const auto& d : devices) {
      if (!d->done()) return false;
    }
    return true;
  };
  while (!stop && !all_done()) {
    if (options.duration_s > 0 && std::chrono::steady_clock::now() - started > std::chrono::duration<double>(options.duration_s)) {
      break;
    }
    io.run_for(std::chrono::milliseconds(50));
  }
  for (const auto& d : devices) stats.positions_acked += d->acked();
  for (const auto& d : devices) d->Stop();
  io.run_for(std::chrono::milliseconds(200));  // DISCONNECTs go out
}

}  // namespace fleetd
