// End to end on embedded defaults: GT06 over TCP -> queue -> SQLite -> REST
// and WebSocket, with two tenants, malformed frames and an unknown device.
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "api/password.h"
#include "app/server.h"
#include "core/time_util.h"
#include "protocol/gt06/gt06_encoder.h"
#include "protocol/teltonika/teltonika_encoder.h"
#include "test_client.h"

namespace fleetd {
namespace {

using test::DeviceClient;
using test::Http;
using test::WsClient;

constexpr const char* kImei = "359710040000777";
constexpr const char* kStranger = "359710040000999";
constexpr const char* kPassword = "correct horse battery";

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = std::filesystem::temp_directory_path() /
                ("fleetd_e2e_" + std::to_string(::getpid()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(data_dir_);
    RegisterBuiltinProtocols(protocols_);
    Config config;
    config.data_dir = data_dir_.string();
    config.listens.push_back(ListenSpec{"gt06", {"127.0.0.1", 0}});
    config.listens.push_back(ListenSpec{"teltonika", {"127.0.0.1", 0}});
    config.listens.push_back(ListenSpec{"osmand", {"127.0.0.1", 0}});
    config.api = {"127.0.0.1", 0};
    config.threads = 2;
    config.batch_wait_ms = 5;
    ASSERT_TRUE(FinalizeConfig(
                    config, [](const std::string&) -> std::optional<uint16_t> { return 5023; },
                    protocols_.Names())
                    .ok());
    auto server = Server::Start(config, protocols_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);

    Store& store = server_->store();
    auto acme = store.AddTenant("acme");
    auto other = store.AddTenant("other");
    ASSERT_TRUE(acme.ok() && other.ok());
    ASSERT_TRUE(store.AddDevice(acme->id, kImei, "Truck 7").ok());
    AddUser(acme->id, "ops@acme.test", Role::kAdmin);
    AddUser(other->id, "ops@other.test", Role::kAdmin);
    acme_token_ = Login("ops@acme.test");
    other_token_ = Login("ops@other.test");
    ASSERT_FALSE(acme_token_.empty());
    ASSERT_FALSE(other_token_.empty());
  }

  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    std::filesystem::remove_all(data_dir_);
  }

  void AddUser(int64_t tenant_id, const std::string& email, Role role) {
    User user;
    user.tenant_id = tenant_id;
    user.email = email;
    user.password_hash = *api::HashPassword(kPassword, api::kTestScryptParams);
    user.role = role;
    ASSERT_TRUE(server_->store().AddUser(user).ok());
  }

  std::string Login(const std::string& email) {
    nlohmann::json body{{"email", email}, {"password", kPassword}};
    auto res = Http(server_->api_port(), "POST", "/api/v1/auth/login", body.dump());
    if (res.status != 200) return "";
    return res.Json().value("access_token", "");
  }

  // Polls until the device has `count` stored positions (or 10 s pass).
  nlohmann::json WaitForPositions(size_t count, const std::string& uid = kImei) {
    nlohmann::json positions;
    for (int i = 0; i < 200; ++i) {
      auto res = Http(server_->api_port(), "GET", "/api/v1/devices/" + uid + "/positions", "", acme_token_);
      if (res.status == 200) {
        positions = res.Json()["positions"];
        if (positions.size() >= count) return positions;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return positions;
  }

  static gt06::PositionFix Fix(int64_t time_ms, double lat, double lng, double speed) {
    gt06::PositionFix fix;
    fix.time_ms = time_ms;
    fix.lat = lat;
    fix.lng = lng;
    fix.speed_kmh = speed;
    fix.heading = 90;
    fix.satellites = 8;
    fix.valid = true;
    fix.ignition = true;
    return fix;
  }

  std::filesystem::path data_dir_;
  ProtocolRegistry protocols_;
  std::unique_ptr<Server> server_;
  std::string acme_token_, other_token_;
};

TEST_F(E2eTest, DeviceDataReachesRestAndWebSocketScopedByTenant) {
  WsClient ws(server_->api_port(), "/api/v1/stream?access_token=" + acme_token_);
  ASSERT_TRUE(ws.ok());
  auto snapshot = ws.Read();
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ((*snapshot)["type"], "snapshot");
  WsClient other_ws(server_->api_port(), "/api/v1/stream", other_token_);
  ASSERT_TRUE(other_ws.ok());
  ASSERT_TRUE(other_ws.Read().has_value());  // its (empty) snapshot

  DeviceClient device(server_->listener_port("gt06"));
  // The login split into single bytes: framing must survive partial reads.
  for (uint8_t b : gt06::EncodeLogin(kImei, 1)) {
    device.Send({b});
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(device.Read(10), gt06::EncodeReply(0x01, 1));

  const int64_t t0 = *MakeTimestamp(2026, 5, 21, 10, 30, 0);
  auto p1 = gt06::EncodePosition(Fix(t0, 23.8103, 90.4125, 45), 2);
  auto p2 = gt06::EncodePosition(Fix(t0 + 10000, 23.8110, 90.4130, 50), 3);
  auto p3 = gt06::EncodePosition(Fix(t0 + 20000, -33.8688, 151.2093, 61), 4);
  auto bad = gt06::EncodePosition(Fix(t0 + 30000, 1, 1, 1), 5);
  bad[bad.size() - 3] ^= 0xFF;  // break the CRC
  std::vector<uint8_t> garbage = {'h', 'e', 'l', 'l', 'o', 0x00, 0xFF};

  // Two frames and garbage in one write, then a bad frame, then p3 in two halves.
  std::vector<uint8_t> burst = p1;
  burst.insert(burst.end(), garbage.begin(), garbage.end());
  burst.insert(burst.end(), p2.begin(), p2.end());
  burst.insert(burst.end(), bad.begin(), bad.end());
  device.Send(burst);
  device.Send(std::vector<uint8_t>(p3.begin(), p3.begin() + 7));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  device.Send(std::vector<uint8_t>(p3.begin() + 7, p3.end()));
  device.Send(p1);  // a retransmission: stored once

  auto positions = WaitForPositions(3);
  ASSERT_EQ(positions.size(), 3u) << positions.dump();
  EXPECT_EQ(positions[0]["ts"], "2026-05-21T10:30:00Z");
  EXPECT_NEAR(positions[0]["lat"].get<double>(), 23.8103, 1e-5);
  EXPECT_NEAR(positions[0]["lng"].get<double>(), 90.4125, 1e-5);
  EXPECT_EQ(positions[0]["speed_kmh"], 45);
  EXPECT_EQ(positions[0]["device_uid"], kImei);
  EXPECT_EQ(positions[0]["protocol"], "gt06");
  EXPECT_EQ(positions[1]["ts"], "2026-05-21T10:30:10Z");
  EXPECT_EQ(positions[2]["ts"], "2026-05-21T10:30:20Z");
  EXPECT_NEAR(positions[2]["lat"].get<double>(), -33.8688, 1e-5);
  EXPECT_NEAR(positions[2]["lng"].get<double>(), 151.2093, 1e-5);

  // The bad frame was dropped and counted, the garbage too.
  EXPECT_GE(server_->metrics().CounterValue("fleetd_frames_rejected_total",
                                            {{"protocol", "gt06"}, {"reason", "bad_checksum"}}),
            1);

  // ... and against the device, so an operator sees which one needs a setting.
  EXPECT_EQ(server_->metrics().CounterValue("fleetd_device_frames_rejected_total",
                                            {{"device", kImei}, {"protocol", "gt06"}, {"reason", "bad_checksum"}}),
            1);

  // Live REST view: the latest fix of the device.
  auto live = Http(server_->api_port(), "GET", "/api/v1/live", "", acme_token_);
  ASSERT_EQ(live.status, 200);
  ASSERT_EQ(live.Json()["positions"].size(), 1u);
  EXPECT_EQ(live.Json()["positions"][0]["ts"], "2026-05-21T10:30:20Z");

  // WebSocket: pushes with the same values.
  bool saw_p3 = false;
  for (int i = 0; i < 10 && !saw_p3; ++i) {
    auto msg = ws.Read();
    ASSERT_TRUE(msg.has_value()) << "no telemetry_update pushed";
    ASSERT_EQ((*msg)["type"], "telemetry_update");
    EXPECT_EQ((*msg)["vehicle_id"], kImei);
    if ((*msg)["data"]["ts"] == "2026-05-21T10:30:20Z") {
      saw_p3 = true;
      EXPECT_NEAR((*msg)["data"]["lat"].get<double>(), -33.8688, 1e-5);
      EXPECT_EQ((*msg)["data"]["speed"], 61);
    }
  }
  EXPECT_TRUE(saw_p3);

  // The other tenant sees none of it.
  auto foreign = Http(server_->api_port(), "GET", std::string("/api/v1/devices/") + kImei + "/positions", "",
                      other_token_);
  EXPECT_EQ(foreign.status, 404);
  auto other_live = Http(server_->api_port(), "GET", "/api/v1/live", "", other_token_);
  ASSERT_EQ(other_live.status, 200);
  EXPECT_TRUE(other_live.Json()["positions"].empty());
  EXPECT_FALSE(other_ws.Read(std::chrono::milliseconds(300)).has_value());
  auto other_devices = Http(server_->api_port(), "GET", "/api/v1/devices", "", other_token_);
  EXPECT_TRUE(other_devices.Json()["devices"].empty());
}

TEST_F(E2eTest, UnregisteredDeviceIsNotAcknowledgedAndListedAsPending) {
  DeviceClient device(server_->listener_port("gt06"));
  device.Send(gt06::EncodeLogin(kStranger, 1));
  EXPECT_TRUE(device.Read(10, std::chrono::milliseconds(500)).empty());
  EXPECT_TRUE(device.ClosedByPeer());
  // A tenant's admin is not shown another tenant's hardware, and this one
  // belongs to no tenant yet: only the platform's operator lists it.
  for (const std::string& admin : {acme_token_, other_token_}) {
    auto refused = Http(server_->api_port(), "GET", "/api/v1/devices/pending", "", admin);
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_EQ(refused.body.find(kStranger), std::string::npos) << refused.body;
  }
  AddUser(server_->store().FindTenant("acme")->id, "platform@acme.test", Role::kOperator);
  auto pending = Http(server_->api_port(), "GET", "/api/v1/devices/pending", "", Login("platform@acme.test"));
  ASSERT_EQ(pending.status, 200) << pending.body;
  bool listed = false;
  const auto pending_json = pending.Json();
  for (const auto& d : pending_json["devices"]) listed = listed || d.value("uid", "") == kStranger;
  EXPECT_TRUE(listed) << pending.body;
  EXPECT_EQ(server_->metrics().CounterValue("fleetd_unregistered_total", {{"protocol", "gt06"}}), 1);

  // Claimed while running: accepted on its next connection.
  auto claim = Http(server_->api_port(), "POST", "/api/v1/devices",
                    nlohmann::json{{"uid", kStranger}, {"name", "Van 9"}}.dump(), acme_token_);
  ASSERT_EQ(claim.status, 201) << claim.body;
  DeviceClient again(server_->listener_port("gt06"));
  again.Send(gt06::EncodeLogin(kStranger, 2));
  EXPECT_EQ(again.Read(10), gt06::EncodeReply(0x01, 2));
}

TEST_F(E2eTest, GarbageOnlyConnectionIsClosedOthersUnaffected) {
  DeviceClient good(server_->listener_port("gt06"));
  good.Send(gt06::EncodeLogin(kImei, 1));
  ASSERT_EQ(good.Read(10), gt06::EncodeReply(0x01, 1));

  DeviceClient noisy(server_->listener_port("gt06"));
  std::vector<uint8_t> junk(4096);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 31 + 7);
  noisy.Send(junk);
  EXPECT_TRUE(noisy.ClosedByPeer());

  good.Send(gt06::EncodePosition(Fix(*MakeTimestamp(2026, 1, 2, 3, 4, 5), 10, 20, 30), 2));
  auto positions = WaitForPositions(1);
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0]["ts"], "2026-01-02T03:04:05Z");
}

TEST_F(E2eTest, PerDeviceLenientSettingAcceptsBadChecksums) {
  DeviceSettings lenient;
  lenient.lenient = true;
  ASSERT_TRUE(server_->store().UpdateDeviceSettings(kImei, lenient).ok());
  DeviceClient device(server_->listener_port("gt06"));
  device.Send(gt06::EncodeLogin(kImei, 1));
  ASSERT_EQ(device.Read(10), gt06::EncodeReply(0x01, 1));
  auto bad = gt06::EncodePosition(Fix(*MakeTimestamp(2026, 3, 4, 5, 6, 7), 48.8566, 2.3522, 12), 2);
  bad[bad.size() - 3] ^= 0xFF;  // a model known to send wrong CRCs
  device.Send(bad);
  auto positions = WaitForPositions(1);
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0]["ts"], "2026-03-04T05:06:07Z");
  EXPECT_NEAR(positions[0]["lat"].get<double>(), 48.8566, 1e-5);
  EXPECT_EQ(server_->metrics().CounterTotal("fleetd_frames_rejected_total"), 0);
}

TEST_F(E2eTest, TeltonikaRecordsAcknowledgedWithTheirCountAfterStorage) {
  DeviceClient device(server_->listener_port("teltonika"));
  device.Send(teltonika::EncodeImei(kImei));
  EXPECT_EQ(device.Read(1), std::vector<uint8_t>{0x01});
  std::vector<teltonika::AvlRecord> records(3);
  for (size_t i = 0; i < records.size(); ++i) {
    records[i].time_ms = *MakeTimestamp(2026, 6, 1, 8, 0, static_cast<int>(i));
    records[i].lat = 54.6872 + 0.001 * static_cast<double>(i);
    records[i].lng = 25.2797;
    records[i].satellites = 10;
    records[i].speed_kmh = 70;
    records[i].io1 = {{239, 1}};  // ignition on
  }
  device.Send(teltonika::EncodeCodec8(records));
  EXPECT_EQ(device.Read(4), (std::vector<uint8_t>{0, 0, 0, 3}));  // sent only once durable
  // The reply left after the commit, so one read (no polling) must see all three.
  auto stored = Http(server_->api_port(), "GET", std::string("/api/v1/devices/") + kImei + "/positions", "",
                     acme_token_);
  ASSERT_EQ(stored.status, 200);
  auto positions = stored.Json()["positions"];
  ASSERT_EQ(positions.size(), 3u);
  EXPECT_EQ(positions[0]["protocol"], "teltonika");
  EXPECT_EQ(positions[0]["ts"], "2026-06-01T08:00:00Z");
  EXPECT_NEAR(positions[2]["lat"].get<double>(), 54.6892, 1e-6);
  EXPECT_EQ(positions[0]["ignition"], true);
  EXPECT_EQ(positions[0]["speed_kmh"], 70);
}

TEST_F(E2eTest, PhoneOverOsmandHttpIsStored) {
  DeviceClient phone(server_->listener_port("osmand"));
  std::string request = std::string("GET /?id=") + kImei +
                        "&lat=52.52&lon=13.405&timestamp=1780300800&speed=10&bearing=45 HTTP/1.1\r\n"
                        "Host: fleetd\r\n\r\n";
  phone.Send(std::vector<uint8_t>(request.begin(), request.end()));
  auto reply = phone.Read(15);
  EXPECT_EQ(std::string(reply.begin(), reply.end()), "HTTP/1.1 200 OK");
  auto positions = WaitForPositions(1);
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0]["protocol"], "osmand");
  EXPECT_NEAR(positions[0]["lat"].get<double>(), 52.52, 1e-9);
  EXPECT_EQ(positions[0]["ts"], "2026-06-01T08:00:00Z");
  EXPECT_NEAR(positions[0]["speed_kmh"].get<double>(), 18.52, 1e-9);  // knots on the wire

  DeviceClient bad(server_->listener_port("osmand"));
  std::string no_id = "GET /?lat=1&lon=2 HTTP/1.1\r\nHost: fleetd\r\n\r\n";
  bad.Send(std::vector<uint8_t>(no_id.begin(), no_id.end()));
  auto answer = bad.Read(12);
  EXPECT_EQ(std::string(answer.begin(), answer.end()), "HTTP/1.1 400");
}

TEST_F(E2eTest, RejectsBadCredentialsAndTokens) {
  EXPECT_EQ(Http(server_->api_port(), "GET", "/api/v1/devices").status, 401);
  EXPECT_EQ(Http(server_->api_port(), "GET", "/api/v1/devices", "", acme_token_ + "x").status, 401);
  nlohmann::json wrong{{"email", "ops@acme.test"}, {"password", "nope"}};
  EXPECT_EQ(Http(server_->api_port(), "POST", "/api/v1/auth/login", wrong.dump()).status, 401);
  EXPECT_EQ(Http(server_->api_port(), "GET", "/healthz").status, 200);
  WsClient ws(server_->api_port(), "/api/v1/stream?access_token=forged");
  EXPECT_FALSE(ws.ok());
}

}  // namespace
}  // namespace fleetd
