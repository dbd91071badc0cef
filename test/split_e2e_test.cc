// The stages as separate processes (issue 5): `fleetd ingest`, `fleetd
// process` and `fleetd api` from the real binary, sharing NATS JetStream,
// Redis and the store. A GT06 device is acknowledged by the ingest node only
// after JetStream has its position; the position reaches the store through
// the process node and is visible on the API node, over REST and its
// WebSocket (the live push crosses processes through Redis).
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <nats/nats.h>

#include "api/jwt.h"
#include "core/time_util.h"
#include "protocol/gt06/gt06_encoder.h"
#include "servers/server_process.h"
#include "test_client.h"

namespace fleetd {
namespace {

using test::ServerProcess;

constexpr const char* kImei = "359710040000555";
const std::string kSecret(40, 'z');

// Logs the device in through the ingest node's GT06 port; returns the fix
// (Dhaka, 2026-05-21 10:30 UTC) the tests then send.
gt06::PositionFix LogIn(test::DeviceClient& device, ServerProcess& ingest) {
  device.Send(gt06::EncodeLogin(kImei, 1));
  EXPECT_EQ(device.Read(10), gt06::EncodeReply(0x01, 1)) << ingest.Log();
  gt06::PositionFix p;
  p.time_ms = 1779359400000;
  p.lat = 23.8103;
  p.lng = 90.4125;
  return p;
}

class SplitE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::MakeTempDir("fleetd_split_");
    ASSERT_FALSE(dir_.empty());
    nats_port_ = test::PickFreePort();
    auto nats = test::FindProgram("nats-server");
    ASSERT_TRUE(nats) << "nats-server is not installed";
    nats_ = ServerProcess::Start({*nats, "-js", "-sd", dir_ + "/nats", "-p", std::to_string(nats_port_), "-a",
                                  "127.0.0.1"},
                                 dir_ + "/nats.log");
    ASSERT_TRUE(nats_ && test::WaitForPort(nats_port_, std::chrono::seconds(10)));
    redis_port_ = test::PickFreePort();
    auto redis = test::FindProgram("redis-server");
    ASSERT_TRUE(redis) << "redis-server is not installed";
    redis_ = ServerProcess::Start({*redis, "--port", std::to_string(redis_port_), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", dir_},
                                  dir_ + "/redis.log");
    ASSERT_TRUE(redis_ && test::WaitForPort(redis_port_, std::chrono::seconds(10)));
  }

  void TearDown() override {
    for (auto& p : nodes_) p->Stop();
    nodes_.clear();
    redis_.reset();
    nats_.reset();
    if (!std::getenv("FLEETD_KEEP_TEST_DIR")) test::RemoveTree(dir_);
  }

  std::vector<std::string> Common() const {
    return {"--data-dir", dir_ + "/data", "--queue", "nats://127.0.0.1:" + std::to_string(nats_port_),
            "--live",     "redis://127.0.0.1:" + std::to_string(redis_port_), "--jwt-secret", kSecret};
  }

  ServerProcess& StartNode(const std::string& role, std::vector<std::string> extra) {
    std::vector<std::string> argv = {FLEETD_BINARY, role};
    for (auto& a : Common()) argv.push_back(a);
    for (auto& a : extra) argv.push_back(a);
    nodes_.push_back(ServerProcess::Start(argv, dir_ + "/" + role + std::to_string(nodes_.size()) + ".log"));
    EXPECT_TRUE(nodes_.back());
    return *nodes_.back();
  }

  int Admin(std::vector<std::string> args) {
    std::vector<std::string> argv = {FLEETD_BINARY};
    for (auto& a : args) argv.push_back(a);
    argv.push_back("--data-dir");
    argv.push_back(dir_ + "/data");
    return test::RunCommand(argv, dir_ + "/admin.log");
  }

  std::string dir_;
  uint16_t nats_port_ = 0, redis_port_ = 0;
  std::unique_ptr<ServerProcess> nats_, redis_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
};

TEST_F(SplitE2eTest, IngestProcessAndApiNodesCarryAPositionEndToEnd) {
  ASSERT_EQ(Admin({"tenant", "add", "acme"}), 0);
  ASSERT_EQ(Admin({"device", "add", "--tenant", "acme", "--uid", kImei}), 0);
  const uint16_t gt06 = test::PickFreePort(), ingest_metrics = test::PickFreePort();
  const uint16_t api = test::PickFreePort(), process_metrics = test::PickFreePort();
  ServerProcess& ingest = StartNode("ingest", {"--listen", "gt06=127.0.0.1:" + std::to_string(gt06), "--api",
                                               "127.0.0.1:" + std::to_string(ingest_metrics)});
  ServerProcess& process = StartNode("process", {"--api", "127.0.0.1:" + std::to_string(process_metrics)});
  ServerProcess& api_node = StartNode("api", {"--api", "127.0.0.1:" + std::to_string(api)});
  ASSERT_TRUE(test::WaitForPort(gt06, std::chrono::seconds(15))) << ingest.Log();
  ASSERT_TRUE(test::WaitForPort(api, std::chrono::seconds(15))) << api_node.Log();
  ASSERT_TRUE(test::WaitForPort(process_metrics, std::chrono::seconds(15))) << process.Log();

  // Only the API node serves the API; the others answer /metrics.
  EXPECT_EQ(test::Http(ingest_metrics, "GET", "/api/v1/devices").status, 404);
  EXPECT_EQ(test::Http(ingest_metrics, "GET", "/metrics").status, 200);

  auto token = [&] {
    api::JwtClaims c;
    c.subject = "token";
    c.tenant_id = 1;
    c.tenant_name = "acme";
    c.role = Role::kAdmin;
    c.issued_at = NowMs() / 1000;
    c.expires_at = c.issued_at + 3600;
    return *api::SignJwt(c, kSecret);
  }();
  test::WsClient ws(api, "/api/v1/stream?access_token=" + token);
  ASSERT_TRUE(ws.ok());
  ASSERT_TRUE(ws.Read().has_value());  // snapshot

  test::DeviceClient device(gt06);
  gt06::PositionFix p = LogIn(device, ingest);
  p.speed_kmh = 42;
  device.Send(gt06::EncodePosition(p, 2));
  // GT06 positions get no reply; the heartbeat after it does, once both are in JetStream.
  device.Send(gt06::EncodeHeartbeat(true, 4, 3, 3));
  EXPECT_EQ(device.Read(10), gt06::EncodeReply(0x13, 3)) << ingest.Log();

  bool stored = false;
  for (int i = 0; i < 200 && !stored; ++i) {
    auto r = test::Http(api, "GET", std::string("/api/v1/devices/") + kImei + "/positions", "", token);
    stored = r.status == 200 && r.Json()["positions"].size() == 1;
    if (stored) {
      EXPECT_NEAR(r.Json()["positions"][0]["lat"].get<double>(), 23.8103, 1e-5);
    }
    if (!stored) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(stored) << process.Log();
  bool pushed = false;
  for (int i = 0; i < 10 && !pushed; ++i) {
    auto msg = ws.Read();
    ASSERT_TRUE(msg.has_value()) << "no live push reached the API node";
    pushed = (*msg)["type"] == "telemetry_update" && (*msg)["vehicle_id"] == kImei;
  }
  EXPECT_TRUE(pushed);
  auto live = test::Http(api, "GET", "/api/v1/live", "", token);
  ASSERT_EQ(live.status, 200);
  EXPECT_EQ(live.Json()["positions"].size(), 1u);
}

// A device alarm becomes an event on its own subject: a downstream service
// subscribed to `fleetd.events.*.sos` gets the SOS, after the process node
// stored it, and nothing for a plain position.
TEST_F(SplitE2eTest, AnAlarmReachesItsEventSubjectThroughTheProcessNode) {
  ASSERT_EQ(Admin({"tenant", "add", "acme"}), 0);
  ASSERT_EQ(Admin({"device", "add", "--tenant", "acme", "--uid", kImei}), 0);
  natsConnection* nc = nullptr;
  const std::string url = "nats://127.0.0.1:" + std::to_string(nats_port_);
  ASSERT_EQ(natsConnection_ConnectTo(&nc, url.c_str()), NATS_OK);
  natsSubscription* sos = nullptr;
  natsSubscription* all = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sos, nc, "fleetd.events.*.sos"), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&all, nc, "fleetd.events.>"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(nc), NATS_OK);

  const uint16_t gt06 = test::PickFreePort(), ingest_metrics = test::PickFreePort();
  const uint16_t process_metrics = test::PickFreePort();
  ServerProcess& ingest = StartNode("ingest", {"--listen", "gt06=127.0.0.1:" + std::to_string(gt06), "--api",
                                               "127.0.0.1:" + std::to_string(ingest_metrics)});
  ServerProcess& process = StartNode("process", {"--api", "127.0.0.1:" + std::to_string(process_metrics)});
  ASSERT_TRUE(test::WaitForPort(gt06, std::chrono::seconds(15))) << ingest.Log();
  ASSERT_TRUE(test::WaitForPort(process_metrics, std::chrono::seconds(15))) << process.Log();

  test::DeviceClient device(gt06);
  gt06::PositionFix p = LogIn(device, ingest);
  device.Send(gt06::EncodePosition(p, 2));  // no event
  p.time_ms += 1000;
  device.Send(gt06::EncodeAlarm(p, 0x01, 4, 3, 3));  // SOS
  EXPECT_EQ(device.Read(10), gt06::EncodeReply(0x16, 3)) << ingest.Log();

  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sos, 15000), NATS_OK) << "no SOS event\n" << process.Log();
  EXPECT_STREQ(natsMsg_GetSubject(msg), "fleetd.events.1.sos");
  const std::string body(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  EXPECT_NE(body.find(std::string("\"device_uid\":\"") + kImei + "\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"alarm\":\"sos\""), std::string::npos) << body;
  natsMsg_Destroy(msg);
  // Exactly one event in all: the plain position made none.
  msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, all, 5000), NATS_OK);
  natsMsg_Destroy(msg);
  msg = nullptr;
  EXPECT_EQ(natsSubscription_NextMsg(&msg, all, 1500), NATS_TIMEOUT) << "an event for a plain position";
  if (msg != nullptr) natsMsg_Destroy(msg);
  natsSubscription_Destroy(sos);
  natsSubscription_Destroy(all);
  natsConnection_Destroy(nc);
}

}  // namespace
}  // namespace fleetd
