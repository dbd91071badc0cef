#include "app/sim.h"

#include <cmath>
#include <utility>
#include <memory>
#include <numbers>
#include <random>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/time_util.h"
#include "protocol/gt06/gt06_encoder.h"
#include "protocol/h02/h02_encoder.h"
#include "protocol/teltonika/teltonika_encoder.h"

namespace fleetd {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

// Where simulated fleets drive: a few real city centres.
constexpr std::pair<double, double> kCities[] = {
    {23.8103, 90.4125},   // Dhaka
    {52.5200, 13.4050},   // Berlin
    {19.0760, 72.8777},   // Mumbai
    {-23.5505, -46.6333}, // Sao Paulo
    {30.2672, -97.7431},  // Austin
};

using Route = SimRoute;

// Appends one position of `route` in the protocol's own form (Teltonika
// records are collected in `avl` and sent as one packet per write).
void AppendPosition(const std::string& protocol, const std::string& imei, const Route& route, int64_t fix_time,
                    uint16_t& serial, std::vector<uint8_t>& out, std::vector<teltonika::AvlRecord>& avl) {
  if (protocol == "teltonika") {
    teltonika::AvlRecord r;
    r.time_ms = fix_time;
    r.lat = route.lat();
    r.lng = route.lng();
    r.angle = static_cast<uint16_t>(route.heading());
    r.satellites = 9;
    r.speed_kmh = static_cast<uint16_t>(route.speed());
    r.io1 = {{239, 1}, {240, 1}};  // ignition, movement
    avl.push_back(std::move(r));
    return;
  }
  if (protocol == "h02") {
    h02::PositionFix fix;
    fix.time_ms = fix_time;
    fix.lat = route.lat();
    fix.lng = route.lng();
    fix.speed_kmh = route.speed();
    fix.heading = route.heading();
    auto frame = h02::EncodeV1(imei, fix);
    out.insert(out.end(), frame.begin(), frame.end());
    return;
  }
  gt06::PositionFix fix;
  fix.time_ms = fix_time;
  fix.lat = route.lat();
  fix.lng = route.lng();
  fix.speed_kmh = route.speed();
  fix.heading = route.heading();
  fix.satellites = 9;
  fix.valid = true;
  fix.ignition = true;
  auto frame = gt06::EncodePosition(fix, serial++);
  out.insert(out.end(), frame.begin(), frame.end());
}

struct Shared {
  const SimOptions& options;
  SimStats& stats;
  const std::atomic<bool>& stop;
  std::chrono::steady_clock::time_point deadline;
  std::chrono::steady_clock::time_point start;  // the devices' common phase origin
  bool Done() const {
    return stop || (options.duration_s > 0 && std::chrono::steady_clock::now() >= deadline);
  }
};

// Reads replies so the server's writer never stalls; counts heartbeat acks.
// Sets *closed when the server closes its side.
awaitable<void> DrainReplies(std::shared_ptr<tcp::socket> socket, Shared& shared, std::shared_ptr<bool> closed) {
  std::vector<uint8_t> buf(4096);
  for (;;) {
    boost::system::error_code ec;
    size_t n = co_await socket->async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      *closed = true;
      co_return;
    }
    for (size_t i = 0; i + 3 < n; ++i) {
      if (buf[i] == 0x78 && buf[i + 1] == 0x78 && (buf[i + 3] == 0x13 || buf[i + 3] == 0x23)) {
        shared.stats.heartbeats_acked++;
      }
    }
  }
}

awaitable<void> Device(int index, Shared& shared) {
  const SimOptions& o = shared.options;
  auto executor = co_await asio::this_coro::executor;
  std::string imei = std::to_string(o.first_imei + static_cast<uint64_t>(index));
  Route route(o.seed * 7919 + static_cast<uint64_t>(index));
  // Shared with the reply reader, which may outlive this coroutine briefly.
  auto socket_ptr = std::make_shared<tcp::socket>(executor);
  tcp::socket& socket = *socket_ptr;
  boost::system::error_code ec;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(o.host, std::to_string(o.port),
                                                   asio::redirect_error(use_awaitable, ec));
  if (!ec) co_await asio::async_connect(socket, endpoints, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    shared.stats.errors++;
    co_return;
  }
  shared.stats.connected++;
  uint16_t serial = 1;
  const bool is_gt06 = o.protocol == "gt06", is_teltonika = o.protocol == "teltonika";
  if (is_gt06 || is_teltonika) {
    // A handshake the server answers only for a registered device.
    auto login = is_gt06 ? gt06::EncodeLogin(imei, serial++) : teltonika::EncodeImei(imei);
    co_await asio::async_write(socket, asio::buffer(login), asio::redirect_error(use_awaitable, ec));
    asio::steady_timer timeout(executor, std::chrono::milliseconds(o.connect_timeout_ms));
    timeout.async_wait([&socket](const boost::system::error_code& e) {
      if (!e) {
        boost::system::error_code ignored;
        socket.close(ignored);
      }
    });
    std::array<uint8_t, 10> ack{};
    const size_t ack_size = is_gt06 ? 10 : 1;
    if (!ec) co_await asio::async_read(socket, asio::buffer(ack.data(), ack_size), asio::redirect_error(use_awaitable, ec));
    timeout.cancel();
    const bool accepted = is_gt06 ? ack[0] == 0x78 && ack[3] == 0x01 : ack[0] == 0x01;
    if (ec || !accepted) {
      shared.stats.logins_refused++;
      co_return;
    }
  }
  shared.stats.logins_acked++;  // (H02 has no handshake: connected counts as accepted)
  auto server_closed = std::make_shared<bool>(false);
  asio::co_spawn(executor, DrainReplies(socket_ptr, shared, server_closed), asio::detached);

  const bool load_mode = o.interval_ms == 0;
  int64_t fix_time = o.start_time_ms != 0 ? o.start_time_ms : NowMs();
  if (load_mode && o.start_time_ms == 0) fix_time -= std::max<int64_t>(o.messages, 1) * 1000;
  fix_time -= fix_time % 1000;  // GT06 carries whole seconds
  asio::steady_timer tick(executor);
  // Interval mode keeps an absolute schedule: each device's sends are due at
  // start + its phase + k * interval, phases spread evenly over one interval.
  // Waiting `interval` after each write instead drifted by the write and the
  // scheduling delay (10,000 msg/s asked gave ~8,800), and devices that
  // logged in together sent in lockstep bursts no real fleet makes.
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(o.interval_ms);
  Clock::time_point due = shared.start + std::chrono::microseconds(interval) * index / std::max(o.devices, 1);
  if (!load_mode) {
    const auto now = Clock::now();
    if (due < now) due += (now - due) / interval * interval + interval;
  }
  std::vector<uint8_t> out;
  std::vector<teltonika::AvlRecord> avl;
  int64_t sent = 0;
  while (!shared.Done() && (o.messages == 0 || sent < o.messages)) {
    if (!load_mode) {
      tick.expires_at(due);
      co_await tick.async_wait(asio::redirect_error(use_awaitable, ec));
      if (shared.Done()) break;
      // Behind by more than an interval (a stalled server): resume from now
      // rather than sending the missed positions in a burst.
      due = std::max(due + interval, Clock::now());
    }
    out.clear();
    int frames = load_mode ? o.frames_per_write : 1;
    for (int f = 0; f < frames && (o.messages == 0 || sent < o.messages); ++f) {
      route.Advance(load_mode ? 1.0 : o.interval_ms / 1000.0);
      fix_time = load_mode ? fix_time + 1000 : std::max(fix_time + 1000, NowMs() / 1000 * 1000);
      AppendPosition(o.protocol, imei, route, fix_time, serial, out, avl);
      ++sent;
      if (is_gt06 && o.heartbeat_every > 0 && sent % o.heartbeat_every == 0) {
        auto hb = gt06::EncodeHeartbeat(/*ignition=*/true, /*voltage_level=*/6, /*gsm_signal=*/4, serial++);
        out.insert(out.end(), hb.begin(), hb.end());
      }
    }
    if (!avl.empty()) {  // Teltonika: the batch of records is one AVL packet
      auto packet = teltonika::EncodeCodec8(avl);
      out.insert(out.end(), packet.begin(), packet.end());
      avl.clear();
    }
    co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      shared.stats.errors++;
      co_return;
    }
    shared.stats.positions_sent += frames;
  }
  // Half-close and wait for the server to close its side: it does so only
  // after reading everything we sent. Closing first would reset the
  // connection and discard what the server had not read yet.
  socket.shutdown(tcp::socket::shutdown_send, ec);
  for (int waited = 0; !*server_closed && waited < 60000; waited += 20) {
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  socket.close(ec);
}

}  // namespace

SimRoute::SimRoute(uint64_t seed) : rng_(seed) {
  auto [lat, lng] = kCities[seed % std::size(kCities)];
  std::uniform_real_distribution<double> jitter(-0.05, 0.05), heading(0, 360), speed(25, 80);
  lat_ = lat + jitter(rng_);
  lng_ = lng + jitter(rng_);
  heading_ = heading(rng_);
  cruise_ = speed(rng_);
}

void SimRoute::Advance(double seconds) {
  std::normal_distribution<double> turn(0, 8), noise(0, 4);
  heading_ = std::fmod(heading_ + turn(rng_) + 360.0, 360.0);
  speed_ = std::clamp(cruise_ + noise(rng_), 0.0, 130.0);
  double metres = speed_ / 3.6 * seconds;
  double rad = heading_ * std::numbers::pi / 180.0;
  lat_ += metres * std::cos(rad) / 111320.0;
  lng_ += metres * std::sin(rad) / (111320.0 * std::cos(lat_ * std::numbers::pi / 180.0));
  lat_ = std::clamp(lat_, -85.0, 85.0);
  if (lng_ > 180) lng_ -= 360;
  if (lng_ < -180) lng_ += 360;
}

bool SimSupports(const std::string& protocol) {
  return protocol == "gt06" || protocol == "teltonika" || protocol == "h02";
}

void RunSim(const SimOptions& options, SimStats& stats, const std::atomic<bool>& stop) {
  asio::io_context io(1);
  const auto start = std::chrono::steady_clock::now();
  Shared shared{options, stats, stop,
                start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(options.duration_s)),
                start};
  for (int i = 0; i < options.devices; ++i) asio::co_spawn(io, Device(i, shared), asio::detached);
  // Poll so a stop request is noticed even while every device is waiting.
  while (!io.stopped()) {
    io.run_for(std::chrono::milliseconds(100));
    if (stop && !io.stopped()) {
      io.run_for(std::chrono::milliseconds(500));
      io.stop();
    }
  }
}

}  // namespace fleetd
