// Real sockets: ApiServer on 127.0.0.1 port 0, driven by synchronous Beast
// clients from the test thread while the server's io_context runs on its own.
#include "api/http_server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "api/password.h"
#include "api/jwt.h"
#include "api/test_fakes.h"
#include "core/time_util.h"

namespace fleetd::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using nlohmann::json;

constexpr char kSecret[] = "server-test-secret-0123456789";

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : ctx_{.store = store_, .live = live_, .metrics = metrics_, .jwt_secret = kSecret} {
    ctx_.body_limit = 1024;
    auto hash = HashPassword("s3cret", kTestScryptParams);
    store_.AddUser(User{0, 1, "admin@a", *hash, Role::kAdmin});
    store_.AddDevice(1, "dev-a1", "A1");
    store_.AddDevice(1, "dev-a2", "A2");
    store_.AddDevice(2, "dev-b1", "B1");
    std::vector<Envelope> batch = {Envelope{1, 1, testing::TestMessage("dev-a1", 1'700'000'000'000, 52.5, 13.4, 10)},
                                   Envelope{1, 2, testing::TestMessage("dev-a2", 1'700'000'000'000, 52.6, 13.5, 20)},
                                   Envelope{2, 3, testing::TestMessage("dev-b1", 1'700'000'000'000, 48.1, 11.5, 30)}};
    live_.Update(batch);
  }

  ~ServerTest() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) {
      // Stop() lets every session finish; give them a moment, then force.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!ioc_.stopped() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ioc_.stop();
      thread_.join();
    }
  }

  void StartServer() {
    server_ = std::make_unique<ApiServer>(ioc_, "127.0.0.1", 0, ctx_);
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(server_->port(), 0);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  std::string Token(int64_t tenant, Role role = Role::kViewer) {
    JwtClaims c;
    c.subject = "1";
    c.tenant_id = tenant;
    c.role = role;
    c.issued_at = NowMs() / 1000;
    c.expires_at = c.issued_at + 600;
    return *SignJwt(c, kSecret);
  }

  tcp::socket Connect() {
    tcp::socket socket(client_ioc_);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));
    return socket;
  }

  http::response<http::string_body> Request(tcp::socket& socket, http::verb method, const std::string& target,
                                            const std::string& token = "", const std::string& body = "") {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res;
  }

  websocket::stream<tcp::socket> OpenStream(const std::string& token) {
    websocket::stream<tcp::socket> ws(Connect());
    ws.handshake("127.0.0.1", "/api/v1/stream?access_token=" + token);
    return ws;
  }

  static json ReadJson(websocket::stream<tcp::socket>& ws) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return json::parse(beast::buffers_to_string(buffer.data()));
  }

  void PushLive(int64_t tenant, const Message& m) {
    std::vector<Envelope> batch = {Envelope{tenant, 9, m}};
    live_.Update(batch);
  }

  static http::request<http::string_body> LoginRequest() {
    http::request<http::string_body> req{http::verb::post, "/api/v1/auth/login", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = R"({"email":"slow@a","password":"s3cret"})";
    req.prepare_payload();
    return req;
  }
  http::request<http::string_body> DevicesRequest() {
    http::request<http::string_body> req{http::verb::get, "/api/v1/devices", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + Token(1));
    return req;
  }

  // Sends `slow` (which the server answers only after ~0.4 s of work), then
  // /healthz on another connection of the server's one io thread. Returns
  // the slow answer and how long after /healthz's it came.
  std::pair<http::response<http::string_body>, std::chrono::steady_clock::duration> SlowBesideHealthz(
      const http::request<http::string_body>& slow) {
    tcp::socket socket = Connect();
    http::write(socket, slow);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the server works on it now
    tcp::socket other = Connect();
    EXPECT_EQ(Request(other, http::verb::get, "/healthz").result_int(), 200);
    const auto health_at = std::chrono::steady_clock::now();
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return {std::move(res), std::chrono::steady_clock::now() - health_at};
  }

  // Writes `n` copies of `req` on their own connections at once, then reads
  // every answer: how many were 200, and how many 503 with Retry-After and
  // `busy_error`.
  std::pair<int, int> OkAndBusy(const http::request<http::string_body>& req, int n, const std::string& busy_error) {
    std::vector<tcp::socket> sockets;
    for (int i = 0; i < n; ++i) {
      sockets.push_back(Connect());
      http::write(sockets.back(), req);
    }
    int ok = 0, busy = 0;
    for (auto& s : sockets) {
      beast::flat_buffer buffer;
      http::response<http::string_body> res;
      http::read(s, buffer, res);
      if (res.result_int() == 200) {
        ++ok;
      } else {
        EXPECT_EQ(res.result_int(), 503) << res.body();
        EXPECT_EQ(res[http::field::retry_after], "1");
        EXPECT_EQ(json::parse(res.body())["error"], busy_error);
        ++busy;
      }
    }
    return {ok, busy};
  }

  testing::FakeStore store_;
  testing::FakeLive live_;
  Metrics metrics_;
  ApiContext ctx_;
  net::io_context ioc_;
  net::io_context client_ioc_;
  std::unique_ptr<ApiServer> server_;
  std::thread thread_;
};

TEST_F(ServerTest, HttpRoundTripWithKeepAlive) {
  StartServer();
  tcp::socket socket = Connect();
  auto health = Request(socket, http::verb::get, "/healthz");
  EXPECT_EQ(health.result_int(), 200);
  EXPECT_EQ(json::parse(health.body())["status"], "ok");
  EXPECT_EQ(health[http::field::content_type], "application/json");

  auto login = Request(socket, http::verb::post, "/api/v1/auth/login", "",
                       R"({"email":"admin@a","password":"s3cret"})");
  ASSERT_EQ(login.result_int(), 200) << login.body();
  std::string token = json::parse(login.body())["access_token"];

  auto devices = Request(socket, http::verb::get, "/api/v1/devices", token);  // same connection
  ASSERT_EQ(devices.result_int(), 200);
  EXPECT_EQ(json::parse(devices.body())["devices"][0]["uid"], "dev-a1");

  auto unauth = Request(socket, http::verb::get, "/api/v1/devices");
  EXPECT_EQ(unauth.result_int(), 401);
  EXPECT_EQ(metrics_.CounterValue("fleetd_http_responses_total", {{"code", "200"}}), 3);
}

// A login hashes its password off the io thread: this server has one io
// thread, and /healthz is answered while a deliberately slow hash runs.
TEST_F(ServerTest, LoginDoesNotStallTheIoThread) {
  auto slow = HashPassword("s3cret", ScryptParams{17, 8, 1});  // ~0.4 s, 128 MiB
  ASSERT_TRUE(slow.ok());
  store_.AddUser(User{0, 1, "slow@a", *slow, Role::kAdmin});
  StartServer();
  auto [res, after_health] = SlowBesideHealthz(LoginRequest());
  EXPECT_EQ(res.result_int(), 200) << res.body();
  EXPECT_TRUE(json::parse(res.body()).contains("access_token"));
  EXPECT_GT(after_health, std::chrono::milliseconds(100))
      << "/healthz waited for the password hash: it ran on the io thread";
}

// One hashing thread, one waiting login: of four at once at least two are
// refused with 503 and Retry-After, and the accepted ones succeed.
TEST_F(ServerTest, LoginsBeyondTheQueueGet503) {
  auto slow = HashPassword("s3cret", ScryptParams{17, 8, 1});
  ASSERT_TRUE(slow.ok());
  store_.AddUser(User{0, 1, "slow@a", *slow, Role::kAdmin});
  ctx_.login_threads = 1;
  ctx_.login_queue = 1;
  ctx_.login_burst = 10;
  StartServer();
  auto [ok, busy] = OkAndBusy(LoginRequest(), 4, "too many logins in progress; retry shortly");
  EXPECT_GE(ok, 1);
  EXPECT_GE(busy, 2) << "more logins were accepted than one running and one waiting";
}

// A slow store query (a long history, a database far away) runs off the
// io thread: /healthz on the same single io thread answers meanwhile.
TEST_F(ServerTest, AStoreQueryDoesNotStallTheIoThread) {
  store_.list_delay_ms = 400;
  StartServer();
  auto [res, after_health] = SlowBesideHealthz(DevicesRequest());
  EXPECT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(json::parse(res.body())["devices"].size(), 2u) << res.body();
  EXPECT_GT(after_health, std::chrono::milliseconds(100))
      << "/healthz waited for the store query: it ran on the io thread";
}

// The feed's snapshot reads the live state and the store: off the io
// thread too. An update pushed while it is built still arrives after it.
TEST_F(ServerTest, AStreamSnapshotDoesNotStallTheIoThreadAndComesFirst) {
  store_.list_delay_ms = 400;  // the snapshot keeps registered devices only: a ListDevices
  StartServer();
  auto ws = OpenStream(Token(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the snapshot waits on the store now
  PushLive(1, testing::TestMessage("dev-a1", 1'700'000'500'000, 1, 2, 3));
  tcp::socket other = Connect();
  EXPECT_EQ(Request(other, http::verb::get, "/healthz").result_int(), 200);
  const auto health_at = std::chrono::steady_clock::now();
  json first = ReadJson(ws);
  EXPECT_EQ(first["type"], "snapshot") << first.dump().substr(0, 200);
  EXPECT_GT(std::chrono::steady_clock::now() - health_at, std::chrono::milliseconds(100))
      << "/healthz waited for the snapshot: it was built on the io thread";
  json next = ReadJson(ws);
  EXPECT_EQ(next["type"], "telemetry_update");
  EXPECT_EQ(next["data"]["ts"], "2023-11-14T22:21:40Z");
}

// One query thread, one waiting query: of four at once at least two are
// refused with 503 and Retry-After, and the accepted ones succeed.
TEST_F(ServerTest, QueriesBeyondTheQueueGet503) {
  store_.list_delay_ms = 300;
  ctx_.query_threads = 1;
  ctx_.query_queue = 1;
  StartServer();
  auto [ok, busy] = OkAndBusy(DevicesRequest(), 4, "too many requests in progress; retry shortly");
  EXPECT_GE(ok, 1);
  EXPECT_GE(busy, 2) << "more queries were accepted than one running and one waiting";
}

TEST_F(ServerTest, BodyOverTheLimitGets413) {
  StartServer();
  tcp::socket socket = Connect();
  std::string big = R"({"uid":")" + std::string(100 * 1024, 'x') + R"("})";
  auto res = Request(socket, http::verb::post, "/api/v1/devices", Token(1, Role::kAdmin), big);
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_EQ(json::parse(res.body())["error"], "request body too large");
  EXPECT_FALSE(res.keep_alive());
}

TEST_F(ServerTest, MalformedHttpGets400) {
  StartServer();
  tcp::socket socket = Connect();
  net::write(socket, net::buffer(std::string("GARBAGE\r\n\r\n")));
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  EXPECT_EQ(res.result_int(), 400);
}

TEST_F(ServerTest, StreamSendsSnapshotThenTenantUpdates) {
  StartServer();
  auto ws = OpenStream(Token(1));
  json snapshot = ReadJson(ws);
  EXPECT_EQ(snapshot["type"], "snapshot");
  ASSERT_EQ(snapshot["positions"].size(), 2u);  // dev-a1 and dev-a2, not tenant 2's dev-b1
  for (const auto& p : snapshot["positions"]) EXPECT_NE(p["device_uid"], "dev-b1");

  PushLive(2, testing::TestMessage("dev-b1", 1'700'000'100'000, 1, 1, 1));  // other tenant: not sent
  Message m = testing::TestMessage("dev-a1", 1'700'000'100'000, 52.52, 13.41, 77.5);
  m.ignition = true;
  PushLive(1, m);
  json update = ReadJson(ws);
  EXPECT_EQ(update["type"], "telemetry_update");
  EXPECT_EQ(update["vehicle_id"], "dev-a1");
  EXPECT_EQ(update["data"]["lat"], 52.52);
  EXPECT_EQ(update["data"]["lng"], 13.41);
  EXPECT_EQ(update["data"]["speed"], 77.5);
  EXPECT_EQ(update["data"]["heading"], 90.0);
  EXPECT_EQ(update["data"]["ts"], "2023-11-14T22:15:00Z");
  EXPECT_EQ(update["data"]["ignition"], true);

  // Narrow the feed: a filtered snapshot answers, then only dev-a2 comes through.
  ws.write(net::buffer(std::string(R"({"type":"subscribe","vehicles":["dev-a2"]})")));
  json narrowed = ReadJson(ws);
  EXPECT_EQ(narrowed["type"], "snapshot");
  ASSERT_EQ(narrowed["positions"].size(), 1u);
  EXPECT_EQ(narrowed["positions"][0]["device_uid"], "dev-a2");
  PushLive(1, testing::TestMessage("dev-a1", 1'700'000'200'000, 1, 1, 1));
  PushLive(1, testing::TestMessage("dev-a2", 1'700'000'200'000, 2, 2, 2));
  json next = ReadJson(ws);
  EXPECT_EQ(next["vehicle_id"], "dev-a2");

  ws.write(net::buffer(std::string("not json")));
  EXPECT_EQ(ReadJson(ws)["type"], "error");

  ws.close(websocket::close_code::normal);
}

// A device removed from the store keeps its live position (another process
// removed it): the feed's snapshot leaves it out.
TEST_F(ServerTest, StreamSnapshotLeavesOutDevicesThatAreNotRegistered) {
  PushLive(1, testing::TestMessage("dev-gone", 1'700'000'000'000, 52.7, 13.6, 5));
  StartServer();
  auto ws = OpenStream(Token(1));
  json snapshot = ReadJson(ws);
  ASSERT_EQ(snapshot["type"], "snapshot");
  ASSERT_EQ(snapshot["positions"].size(), 2u) << snapshot;
  for (const auto& p : snapshot["positions"]) EXPECT_NE(p["device_uid"], "dev-gone");
  ws.write(net::buffer(std::string(R"({"type":"subscribe","vehicles":["dev-gone","dev-a2"]})")));
  json narrowed = ReadJson(ws);
  ASSERT_EQ(narrowed["positions"].size(), 1u) << narrowed;
  EXPECT_EQ(narrowed["positions"][0]["device_uid"], "dev-a2");
}

TEST_F(ServerTest, StreamAcceptsTheAuthorizationHeader) {
  StartServer();
  websocket::stream<tcp::socket> ws(Connect());
  std::string token = Token(1);
  ws.set_option(websocket::stream_base::decorator(
      [token](websocket::request_type& req) { req.set(http::field::authorization, "Bearer " + token); }));
  ws.handshake("127.0.0.1", "/api/v1/stream");
  EXPECT_EQ(ReadJson(ws)["type"], "snapshot");
}

TEST_F(ServerTest, StreamRejectsBadTokens) {
  StartServer();
  for (std::string target : {"/api/v1/stream?access_token=garbage", "/api/v1/stream"}) {
    // A WebSocket client sees the upgrade declined...
    websocket::stream<tcp::socket> ws(Connect());
    beast::error_code ec;
    ws.handshake("127.0.0.1", target, ec);
    EXPECT_EQ(ec, websocket::error::upgrade_declined) << target;
    // ...with a 401 (Beast 1.74's handshake does not hand back the
    // declined response, so look at it with a raw upgrade request).
    tcp::socket socket = Connect();
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    EXPECT_EQ(res.result_int(), 401) << target;
    EXPECT_TRUE(json::parse(res.body())["error"].is_string());
  }
}

// More vehicles' updates waiting than ws_queue_limit (none of them can
// replace another): the client is dropped.
TEST_F(ServerTest, SlowClientIsDroppedAndCounted) {
  ctx_.ws_queue_limit = 4;
  StartServer();
  auto ws = OpenStream(Token(1));  // never reads
  Message big = testing::TestMessage("dev-a1", 1'700'000'000'000, 1, 1, 1);
  big.attributes["blob"] = std::string(64 * 1024, 'z');
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int i = 0;
       metrics_.CounterValue("fleetd_ws_dropped_slow_total") == 0 && std::chrono::steady_clock::now() < deadline;
       ++i) {
    big.device_uid = "dev-s" + std::to_string(i);
    PushLive(1, big);
  }
  EXPECT_EQ(metrics_.CounterValue("fleetd_ws_dropped_slow_total"), 1);
  // The connection ends: reading drains what was sent, then fails.
  beast::error_code ec;
  for (int i = 0; i < 100000 && !ec; ++i) {
    beast::flat_buffer buffer;
    ws.read(buffer, ec);
  }
  EXPECT_TRUE(ec);
}

// A client reading slower than one vehicle reports: the vehicle's queued
// position is replaced by each newer one, so the client is not dropped, gets
// fewer updates, in order, the newest last, and the alarm among them.
TEST_F(ServerTest, ASlowClientGetsEachVehiclesNewestUpdateNotABacklog) {
  ctx_.ws_queue_limit = 4;
  StartServer();
  auto ws = OpenStream(Token(1));
  ASSERT_EQ(ReadJson(ws)["type"], "snapshot");
  constexpr int kUpdates = 400;  // 25 MB: more than the socket buffers hold
  constexpr TimestampMs kFirst = 1'700'000'000'000;
  Message big = testing::TestMessage("dev-a1", kFirst, 1, 1, 1);
  big.attributes["blob"] = std::string(64 * 1024, 'z');
  constexpr int kAlarmAt = kUpdates - 50;  // an SOS among them is never replaced
  for (int i = 0; i < kUpdates; ++i) {
    big.ts = kFirst + i * 1000;
    if (i == kAlarmAt) {
      big.kind = MessageKind::kAlarm;
      big.alarm = Alarm::kSos;
    }
    PushLive(1, big);  // the client reads nothing meanwhile
    big.kind = MessageKind::kPosition;
    big.alarm.reset();
    if (i == kAlarmAt + 10) {  // an older fix (buffered history) than the one queued: dropped
      big.ts = kFirst;
      PushLive(1, big);
    }
  }
  EXPECT_EQ(metrics_.CounterValue("fleetd_ws_dropped_slow_total"), 0);
  EXPECT_GT(metrics_.CounterValue("fleetd_ws_updates_conflated_total"), 0);
  const std::string last = FormatIso8601(kFirst + (kUpdates - 1) * 1000);
  std::vector<std::string> seen;
  bool saw_alarm = false;
  while (seen.empty() || seen.back() != last) {
    json update = ReadJson(ws);
    ASSERT_EQ(update["type"], "telemetry_update") << update.dump().substr(0, 200);
    seen.push_back(update["data"]["ts"]);
    if (update["data"].contains("alarm")) {
      EXPECT_EQ(update["data"]["alarm"], "sos");
      EXPECT_EQ(seen.back(), FormatIso8601(kFirst + kAlarmAt * 1000));
      saw_alarm = true;
    }
    ASSERT_LE(seen.size(), static_cast<size_t>(kUpdates));
  }
  EXPECT_TRUE(saw_alarm) << "the alarm was replaced by a later position";
  EXPECT_LT(seen.size(), static_cast<size_t>(kUpdates)) << "every update was queued: nothing replaced";
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end())) << "an older update after a newer one";
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "an update sent twice";
}

TEST_F(ServerTest, StopClosesStreamsAndTheListener) {
  StartServer();
  auto ws = OpenStream(Token(1));
  ReadJson(ws);
  uint16_t port = server_->port();
  server_->Stop();
  beast::flat_buffer buffer;
  beast::error_code ec;
  ws.read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, websocket::close_code::going_away);
  // Nothing listens any more.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  tcp::socket socket(client_ioc_);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(live_.listener_count(), 0u);
}

TEST_F(ServerTest, BindFailureIsReported) {
  StartServer();
  ApiServer second(ioc_, "127.0.0.1", server_->port(), ctx_);
  Status s = second.Start();
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  ApiServer bad(ioc_, "not-an-ip", 0, ctx_);
  EXPECT_EQ(bad.Start().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fleetd::api
