// MQTT devices end to end, through a real Mosquitto started on loopback:
// device credentials and ACLs from fleetd's registry (dynamic security),
// QoS 1 messages stored and streamed, malformed payloads counted and never
// stored, retained state, two instances on one shared subscription storing
// every message exactly once, and fleetd SIGKILLed and restarted while
// devices keep publishing without losing anything the broker accepted.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "app/admin_commands.h"
#include "app/mqtt_access.h"
#include "app/server.h"
#include "core/time_util.h"
#include "listen/mqtt/mosquitto_config.h"
#include "servers/server_process.h"
#include "test_client.h"

namespace fleetd {
namespace {

using test::ServerProcess;

constexpr const char* kAdmin = "fleetd";
constexpr const char* kAdminPassword = "broker-admin-pw";
constexpr const char* kUid = "862000000000101";
constexpr const char* kOtherUid = "862000000000102";
constexpr TimestampMs kBaseTs = 1779359400000;  // 2026-05-21T10:30:00Z

// Runs a command, returns its exit status (stdout/stderr into `log`).
int RunTool(const std::vector<std::string>& argv, const std::string& log) { return test::RunCommand(argv, log); }

std::string Iso(TimestampMs ts) { return FormatIso8601(ts); }

std::string Payload(TimestampMs ts, double lat, double lng, double speed) {
  char buf[256];
  std::snprintf(buf, sizeof buf, R"({"v":1,"ts":"%s","lat":%.6f,"lng":%.6f,"speed":%.1f,"ignition":true,"battery_v":12.4})",
                Iso(ts).c_str(), lat, lng, speed);
  return buf;
}

// The tests' broker: dynamic security with fleetd's admin, in <dir>/broker.
MosquittoSetup BrokerSetup(const std::string& dir, uint16_t port) {
  MosquittoSetup setup;
  setup.dir = dir + "/broker";
  setup.port = port;
  setup.admin_user = kAdmin;
  setup.admin_password = kAdminPassword;
  setup.run_as_root = geteuid() == 0;
  return setup;
}

class MqttE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::MakeTempDir("fleetd_mqtt_e2e_");
    ASSERT_FALSE(dir_.empty());
    broker_port_ = test::PickFreePort();
    auto conf = WriteMosquittoConfig(BrokerSetup(dir_, broker_port_));
    ASSERT_TRUE(conf.ok()) << conf.status().ToString();
    auto mosquitto = test::FindProgram("mosquitto");
    ASSERT_TRUE(mosquitto) << "mosquitto is not installed (scripts/install-deps.sh installs it)";
    broker_ = ServerProcess::Start({*mosquitto, "-c", *conf}, dir_ + "/mosquitto.log");
    ASSERT_TRUE(broker_);
    ASSERT_TRUE(test::WaitForPort(broker_port_, std::chrono::seconds(10))) << broker_->Log();
    RegisterBuiltinProtocols(protocols_);
  }

  void TearDown() override {
    for (auto& s : servers_) s->Stop();
    servers_.clear();
    broker_.reset();
    if (!std::getenv("FLEETD_KEEP_TEST_DIR")) test::RemoveTree(dir_);
  }

  std::string BrokerUrl() const {
    return "mqtt://" + std::string(kAdmin) + ":" + kAdminPassword + "@127.0.0.1:" + std::to_string(broker_port_);
  }

  Config MakeConfig(const std::string& client_id) {
    Config config;
    config.data_dir = dir_ + "/data";
    config.listens.push_back(ListenSpec{"gt06", {"127.0.0.1", 0}});
    config.api = {"127.0.0.1", 0};
    config.threads = 2;
    config.batch_wait_ms = 5;
    config.mqtt_url = BrokerUrl();
    config.mqtt_client_id = client_id;
    config.jwt_secret = std::string(40, 'k');
    EXPECT_TRUE(FinalizeConfig(config, [](const std::string&) -> std::optional<uint16_t> { return 5023; },
                               protocols_.Names())
                    .ok());
    return config;
  }

  Server& StartServer(const std::string& client_id) {
    auto server = Server::Start(MakeConfig(client_id), protocols_);
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    servers_.push_back(std::move(*server));
    Server& s = *servers_.back();
    for (int i = 0; i < 500 && !s.mqtt_connected(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(s.mqtt_connected()) << broker_->Log();
    return s;
  }

  // Registers a device through the admin command, as an operator would, and
  // returns the MQTT password it printed.
  std::string AddDevice(Store& store, const Config& config, const std::string& tenant, const std::string& uid) {
    if (!store.FindTenant(tenant).ok()) {
      EXPECT_TRUE(store.AddTenant(tenant).ok());
    }
    std::ostringstream out, err;
    DeviceAddArgs args;
    args.tenant = tenant;
    args.uid = uid;
    EXPECT_EQ(DeviceAdd(store, config, args, out, err), 0) << err.str();
    auto j = nlohmann::json::parse(out.str(), nullptr, false);
    EXPECT_TRUE(j.contains("mqtt")) << out.str();
    return j["mqtt"]["password"].get<std::string>();
  }

  // mosquitto_pub at QoS 1 over MQTT 5; returns its exit status.
  int Pub(const std::string& user, const std::string& password, const std::string& topic, const std::string& message) {
    return RunTool({*test::FindProgram("mosquitto_pub"), "-h", "127.0.0.1", "-p", std::to_string(broker_port_), "-V", "5",
                "-q", "1", "-u", user, "-P", password, "-t", topic, "-m", message},
               dir_ + "/pub.log");
  }

  size_t CountPositions(Store& store, int64_t tenant_id, const std::string& uid) {
    PositionQuery q;
    q.tenant_id = tenant_id;
    q.device_uid = uid;
    q.limit = 10000;
    size_t total = 0;
    for (int page = 0; page < 100; ++page) {
      auto r = store.QueryPositions(q);
      if (!r.ok()) return total;
      total += r->positions.size();
      if (!r->next) break;
      q.after = r->next;
    }
    return total;
  }

  bool WaitForCount(Store& store, int64_t tenant_id, const std::string& uid, size_t want,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (CountPositions(store, tenant_id, uid) >= want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string dir_;
  uint16_t broker_port_ = 0;
  std::unique_ptr<ServerProcess> broker_;
  ProtocolRegistry protocols_;
  std::vector<std::unique_ptr<Server>> servers_;
};

TEST_F(MqttE2eTest, PublishedMessagesAreStoredStreamedAndRetainedAsState) {
  Server& server = StartServer("fleetd-e2e-a");
  Config config = MakeConfig("admin-cli");
  std::string secret = AddDevice(server.store(), config, "acme", kUid);
  auto tenant = server.store().FindTenant("acme");
  ASSERT_TRUE(tenant.ok());
  auto token = MakeTenantToken(server.store(), config, "acme", "admin", 3600);
  ASSERT_TRUE(token.ok());
  test::WsClient ws(server.api_port(), "/api/v1/stream?access_token=" + *token);
  ASSERT_TRUE(ws.ok());
  ASSERT_TRUE(ws.Read().has_value());  // snapshot

  ASSERT_EQ(Pub(kUid, secret, std::string("fleet/") + kUid + "/telemetry", Payload(kBaseTs, 23.8103, 90.4125, 45.2)), 0);
  ASSERT_TRUE(WaitForCount(server.store(), tenant->id, kUid, 1));

  PositionQuery q;
  q.tenant_id = tenant->id;
  q.device_uid = kUid;
  auto page = server.store().QueryPositions(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->positions.size(), 1u);
  const Message& m = page->positions[0];
  EXPECT_EQ(m.protocol, "mqtt");
  EXPECT_EQ(*m.ts, kBaseTs);
  EXPECT_NEAR(*m.lat, 23.8103, 1e-6);
  EXPECT_NEAR(*m.lng, 90.4125, 1e-6);
  EXPECT_NEAR(*m.speed_kmh, 45.2, 1e-9);
  EXPECT_EQ(m.ignition, std::optional<bool>(true));
  EXPECT_NEAR(*m.battery_v, 12.4, 1e-9);

  bool streamed = false;
  for (int i = 0; i < 5 && !streamed; ++i) {
    auto msg = ws.Read();
    ASSERT_TRUE(msg.has_value()) << "no live update";
    if ((*msg)["type"] == "telemetry_update" && (*msg)["vehicle_id"] == kUid) {
      streamed = true;
      EXPECT_NEAR((*msg)["data"]["lat"].get<double>(), 23.8103, 1e-6);
    }
  }
  EXPECT_TRUE(streamed);

  // Retained state: a client subscribing afterwards gets it at once.
  std::string state_log = dir_ + "/state.txt";
  bool got_state = false;
  for (int attempt = 0; attempt < 20 && !got_state; ++attempt) {
    std::filesystem::remove(state_log);
    int rc = RunTool({*test::FindProgram("mosquitto_sub"), "-h", "127.0.0.1", "-p", std::to_string(broker_port_), "-V", "5",
                  "-u", kAdmin, "-P", kAdminPassword, "-t", std::string("fleet/") + kUid + "/state", "-C", "1", "-W", "2"},
                 state_log);
    std::ifstream in(state_log);
    std::string line;
    std::getline(in, line);
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (rc == 0 && j.is_object()) {
      got_state = true;
      EXPECT_NEAR(j["lat"].get<double>(), 23.8103, 1e-6);
      EXPECT_EQ(j["device_uid"], kUid);
    }
  }
  EXPECT_TRUE(got_state);

  // A command over REST reaches the device on its own command topic.
  const std::string cmd_log = dir_ + "/cmd.txt";
  auto sub = ServerProcess::Start({*test::FindProgram("mosquitto_sub"), "-h", "127.0.0.1", "-p",
                                   std::to_string(broker_port_), "-V", "5", "-q", "1", "-u", kUid, "-P", secret, "-t",
                                   std::string("fleet/") + kUid + "/cmd", "-C", "1", "-W", "10"},
                                  cmd_log);
  ASSERT_TRUE(sub);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let it subscribe
  auto sent = test::Http(server.api_port(), "POST", std::string("/api/v1/devices/") + kUid + "/commands",
                         R"({"name":"reboot"})", *token);
  EXPECT_EQ(sent.status, 202) << sent.body;
  ASSERT_TRUE(sub->WaitExit(std::chrono::seconds(12)));
  EXPECT_NE(sub->Log().find(R"("name":"reboot")"), std::string::npos) << sub->Log();
}

TEST_F(MqttE2eTest, BrokerRefusesForeignTopicsAndWrongPasswordsAndNothingIsStored) {
  Server& server = StartServer("fleetd-e2e-b");
  Config config = MakeConfig("admin-cli");
  std::string secret = AddDevice(server.store(), config, "acme", kUid);
  std::string other_secret = AddDevice(server.store(), config, "acme", kOtherUid);
  auto tenant = server.store().FindTenant("acme");

  // Device 1 posing as device 2: the ACL refuses the publish (mosquitto_pub
  // still exits 0 at QoS 1; the PUBACK carries "not authorized").
  Pub(kUid, secret, std::string("fleet/") + kOtherUid + "/telemetry", Payload(kBaseTs, 1, 1, 1));
  // Wrong password: the connection is refused.
  EXPECT_NE(Pub(kUid, "not-the-secret", std::string("fleet/") + kUid + "/telemetry", Payload(kBaseTs + 1000, 2, 2, 2)), 0);
  // A device may not write its own state topic (fleetd's).
  Pub(kUid, secret, std::string("fleet/") + kUid + "/state", R"({"lat":0})");
  // A marker message from the right device, to know the bridge is past the others.
  ASSERT_EQ(Pub(kOtherUid, other_secret, std::string("fleet/") + kOtherUid + "/telemetry",
                Payload(kBaseTs + 5000, 5, 5, 5)),
            0);
  ASSERT_TRUE(WaitForCount(server.store(), tenant->id, kOtherUid, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(CountPositions(server.store(), tenant->id, kUid), 0u);
  EXPECT_EQ(CountPositions(server.store(), tenant->id, kOtherUid), 1u);

  // Removing a device revokes its credentials.
  std::ostringstream out, err;
  ASSERT_EQ(DeviceRemove(server.store(), config, kOtherUid, out, err), 0) << err.str();
  EXPECT_NE(Pub(kOtherUid, other_secret, std::string("fleet/") + kOtherUid + "/telemetry", Payload(kBaseTs + 9000, 9, 9, 9)), 0);
}

TEST_F(MqttE2eTest, MalformedPayloadsAreCountedByReasonAndNeverStored) {
  Server& server = StartServer("fleetd-e2e-c");
  Config config = MakeConfig("admin-cli");
  std::string secret = AddDevice(server.store(), config, "acme", kUid);
  auto tenant = server.store().FindTenant("acme");
  const std::string topic = std::string("fleet/") + kUid + "/telemetry";
  ASSERT_EQ(Pub(kUid, secret, topic, "this is not json"), 0);
  ASSERT_EQ(Pub(kUid, secret, topic, R"({"v":2,"lat":1,"lng":1})"), 0);
  ASSERT_EQ(Pub(kUid, secret, topic, R"({"v":1,"lat":123.0,"lng":1})"), 0);
  ASSERT_EQ(Pub(kUid, secret, topic, R"([1,2,3])"), 0);
  ASSERT_EQ(Pub(kUid, secret, topic, Payload(kBaseTs, 10, 20, 30)), 0);  // the one good message
  ASSERT_TRUE(WaitForCount(server.store(), tenant->id, kUid, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(CountPositions(server.store(), tenant->id, kUid), 1u);
  Metrics& metrics = server.metrics();
  EXPECT_EQ(metrics.CounterValue("fleetd_frames_rejected_total", {{"protocol", "mqtt"}, {"reason", "malformed"}}), 2);
  EXPECT_EQ(metrics.CounterValue("fleetd_frames_rejected_total", {{"protocol", "mqtt"}, {"reason", "unsupported"}}), 1);
  EXPECT_EQ(metrics.CounterValue("fleetd_frames_rejected_total", {{"protocol", "mqtt"}, {"reason", "out_of_range"}}), 1);
  EXPECT_EQ(metrics.CounterValue("fleetd_device_frames_rejected_total",
                                 {{"device", kUid}, {"protocol", "mqtt"}, {"reason", "malformed"}}),
            2);
  EXPECT_EQ(metrics.CounterValue("fleetd_messages_total", {{"protocol", "mqtt"}}), 1);
}

TEST_F(MqttE2eTest, TwoInstancesOnTheSharedSubscriptionStoreEveryMessageOnce) {
  Server& a = StartServer("fleetd-e2e-share-1");
  Server& b = StartServer("fleetd-e2e-share-2");
  Config config = MakeConfig("admin-cli");
  std::string secret = AddDevice(a.store(), config, "acme", kUid);
  auto tenant = a.store().FindTenant("acme");
  constexpr int kMessages = 400;
  std::string lines_path = dir_ + "/lines.txt";
  {
    std::ofstream lines(lines_path);
    for (int i = 0; i < kMessages; ++i) lines << Payload(kBaseTs + i * 1000, 10 + i * 1e-4, 20, i % 100) << "\n";
  }
  std::string cmd = *test::FindProgram("mosquitto_pub") + " -h 127.0.0.1 -p " + std::to_string(broker_port_) +
                    " -V 5 -q 1 -u " + kUid + " -P " + secret + " -t fleet/" + kUid + "/telemetry -l < " + lines_path;
  ASSERT_EQ(RunTool({"/bin/sh", "-c", cmd}, dir_ + "/pub.log"), 0);
  ASSERT_TRUE(WaitForCount(a.store(), tenant->id, kUid, kMessages)) << CountPositions(a.store(), tenant->id, kUid);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(CountPositions(a.store(), tenant->id, kUid), static_cast<size_t>(kMessages));
  const int64_t by_a = a.metrics().CounterValue("fleetd_messages_total", {{"protocol", "mqtt"}});
  const int64_t by_b = b.metrics().CounterValue("fleetd_messages_total", {{"protocol", "mqtt"}});
  // Exactly once: every message went to one instance only, and both took a share.
  EXPECT_EQ(by_a + by_b, kMessages);
  EXPECT_GT(by_a, 0);
  EXPECT_GT(by_b, 0);
}

TEST_F(MqttE2eTest, SimulatedMqttGatewaysAreStoredInFull) {
  Server& server = StartServer("fleetd-e2e-sim");
  auto tenant = server.store().AddTenant("acme");
  ASSERT_TRUE(tenant.ok());
  constexpr uint64_t kFirst = 862000000000201;
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(server.store().AddDevice(tenant->id, std::to_string(kFirst + i), "sim").ok());
  }
  const std::string out = dir_ + "/sim.out";
  ASSERT_EQ(RunTool({FLEETD_BINARY, "sim", "--protocol", "mqtt", "--mqtt", BrokerUrl(), "--devices", "3", "--first-imei",
                     std::to_string(kFirst), "--messages", "200", "--interval-ms", "0", "--window", "50"},
                    out),
            0);
  std::ifstream in(out);
  std::string last, line;
  while (std::getline(in, line)) last = line;
  auto stats = nlohmann::json::parse(last, nullptr, false);
  ASSERT_TRUE(stats.is_object()) << last;
  EXPECT_EQ(stats["positions_sent"], 600);
  EXPECT_EQ(stats["positions_acked"], 600);
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(WaitForCount(server.store(), tenant->id, std::to_string(kFirst + i), 200));
    EXPECT_EQ(CountPositions(server.store(), tenant->id, std::to_string(kFirst + i)), 200u);
  }
  // Without the admin's credentials the simulator cannot provision its devices: a clear error.
  EXPECT_NE(RunTool({FLEETD_BINARY, "sim", "--protocol", "mqtt", "--mqtt",
                     "mqtt://127.0.0.1:" + std::to_string(broker_port_), "--devices", "1"},
                    out),
            0);
}

// A broker with TLS only: fleetd connects over mqtts:// and trusts the
// broker's private CA through mqtt_ca_file; a client that does not trust it
// is refused; devices publish over TLS too.
TEST(MqttTlsTest, FleetdConnectsOverTlsWithAPrivateCa) {
  const std::string dir = test::MakeTempDir("fleetd_mqtt_tls_");
  auto openssl = test::FindProgram("openssl");
  ASSERT_TRUE(openssl);
  const std::string log = dir + "/openssl.log";
  ASSERT_EQ(test::RunCommand({*openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/ca.key",
                              "-out", dir + "/ca.crt", "-subj", "/CN=fleetd test CA", "-days", "2"},
                             log),
            0);
  ASSERT_EQ(test::RunCommand({*openssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/server.key", "-out",
                              dir + "/server.csr", "-subj", "/CN=127.0.0.1"},
                             log),
            0);
  { std::ofstream(dir + "/san.ext") << "subjectAltName=IP:127.0.0.1\n"; }
  ASSERT_EQ(test::RunCommand({*openssl, "x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.crt", "-CAkey",
                              dir + "/ca.key", "-CAcreateserial", "-out", dir + "/server.crt", "-days", "2",
                              "-extfile", dir + "/san.ext"},
                             log),
            0);
  const uint16_t port = test::PickFreePort();
  MosquittoSetup setup = BrokerSetup(dir, port);
  setup.certfile = dir + "/server.crt";
  setup.keyfile = dir + "/server.key";
  auto conf = WriteMosquittoConfig(setup);
  ASSERT_TRUE(conf.ok()) << conf.status().ToString();
  auto broker = ServerProcess::Start({*test::FindProgram("mosquitto"), "-c", *conf}, dir + "/mosquitto.log");
  ASSERT_TRUE(broker && test::WaitForPort(port, std::chrono::seconds(10))) << broker->Log();

  ProtocolRegistry protocols;
  RegisterBuiltinProtocols(protocols);
  Config config;
  config.data_dir = dir + "/data";
  config.listens.push_back(ListenSpec{"gt06", {"127.0.0.1", 0}});
  config.api = {"127.0.0.1", 0};
  config.threads = 1;
  config.batch_wait_ms = 5;
  config.mqtt_url = "mqtts://" + std::string(kAdmin) + ":" + kAdminPassword + "@127.0.0.1:" + std::to_string(port);
  config.mqtt_client_id = "fleetd-tls";
  config.mqtt_ca_file = dir + "/ca.crt";
  config.jwt_secret = std::string(40, 't');
  ASSERT_TRUE(FinalizeConfig(config, [](const std::string&) -> std::optional<uint16_t> { return 5023; }, protocols.Names()).ok());
  {
    auto server = Server::Start(config, protocols);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    Server& s = **server;
    for (int i = 0; i < 500 && !s.mqtt_connected(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(s.mqtt_connected()) << broker->Log();
    auto tenant = s.store().AddTenant("acme");
    ASSERT_TRUE(tenant.ok());
    std::ostringstream out, err;
    DeviceAddArgs args;
    args.tenant = "acme";
    args.uid = kUid;
    ASSERT_EQ(DeviceAdd(s.store(), config, args, out, err), 0) << err.str();
    const std::string secret = nlohmann::json::parse(out.str())["mqtt"]["password"];
    ASSERT_EQ(test::RunCommand({*test::FindProgram("mosquitto_pub"), "-h", "127.0.0.1", "-p", std::to_string(port),
                                "-V", "5", "-q", "1", "--cafile", dir + "/ca.crt", "-u", kUid, "-P", secret, "-t",
                                std::string("fleet/") + kUid + "/telemetry", "-m", Payload(kBaseTs, 1.5, 2.5, 3)},
                               dir + "/pub.log"),
              0);
    bool stored = false;
    for (int i = 0; i < 200 && !stored; ++i) {
      PositionQuery q;
      q.tenant_id = tenant->id;
      q.device_uid = kUid;
      auto page = s.store().QueryPositions(q);
      stored = page.ok() && page->positions.size() == 1;
      if (!stored) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(stored);
    s.Stop();
  }
  // Trusting another CA, the broker's certificate is refused: no connection.
  ASSERT_EQ(test::RunCommand({*openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/other.key",
                              "-out", dir + "/other.crt", "-subj", "/CN=some other CA", "-days", "2"},
                             log),
            0);
  Config untrusting = config;
  untrusting.mqtt_ca_file = dir + "/other.crt";
  untrusting.mqtt_client_id = "fleetd-tls-untrusting";
  untrusting.data_dir = dir + "/data2";
  untrusting.store_url = "sqlite:" + dir + "/data2/fleetd.db";
  {
    auto server = Server::Start(untrusting, protocols);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_FALSE((*server)->mqtt_connected());
    (*server)->Stop();
  }
  broker.reset();
  test::RemoveTree(dir);
}

// Reads the single number a command printed (sqlite3's count).
int64_t ReadCount(const std::string& db, const std::string& log) {
  std::filesystem::remove(log);
  if (test::RunCommand({*test::FindProgram("sqlite3"), db, "SELECT count(*) FROM positions"}, log) != 0) return -1;
  std::ifstream in(log);
  int64_t n = -1;
  in >> n;
  return n;
}

TEST_F(MqttE2eTest, SigkilledFleetdLosesNothingTheBrokerAccepted) {
  const std::string data = dir_ + "/killdata";
  const std::string fleetd = FLEETD_BINARY;
  const std::string out = dir_ + "/cli.out";
  ASSERT_EQ(RunTool({fleetd, "tenant", "add", "acme", "--data-dir", data}, out), 0);
  std::filesystem::remove(out);
  ASSERT_EQ(RunTool({fleetd, "device", "add", "--tenant", "acme", "--uid", kUid, "--data-dir", data, "--mqtt", BrokerUrl()},
                    out),
            0);
  std::string secret;
  {
    std::ifstream in(out);
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("mqtt")) secret = j["mqtt"]["password"];
    }
  }
  ASSERT_FALSE(secret.empty());
  const std::vector<std::string> run = {fleetd,        "run",          "--data-dir",       data,
                                        "--mqtt",      BrokerUrl(),    "--mqtt-client-id", "fleetd-kill",
                                        "--listen",    "gt06=127.0.0.1:0", "--api",        "127.0.0.1:0",
                                        "--jwt-secret", std::string(40, 's')};
  auto first = ServerProcess::Start(run, dir_ + "/fleetd1.log");
  ASSERT_TRUE(first);

  constexpr int kMessages = 5000;
  const std::string lines_path = dir_ + "/lines.txt";
  {
    std::ofstream lines(lines_path);
    for (int i = 0; i < kMessages; ++i) lines << Payload(kBaseTs + i * 1000, 10 + i * 1e-5, 20, i % 100) << "\n";
  }
  const std::string db = data + "/fleetd.db";
  // Until fleetd's session holds the subscription, the broker drops what
  // devices send: probe (always the same fix time, so stored once) until a
  // probe is stored, then publish the rest while fleetd dies.
  bool subscribed = false;
  for (int i = 0; i < 100 && !subscribed; ++i) {
    Pub(kUid, secret, std::string("fleet/") + kUid + "/telemetry", Payload(kBaseTs - 1000, 1, 1, 1));
    subscribed = ReadCount(db, dir_ + "/count.txt") == 1;
    if (!subscribed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(subscribed) << first->Log();
  const std::string cmd = *test::FindProgram("mosquitto_pub") + " -h 127.0.0.1 -p " + std::to_string(broker_port_) +
                          " -V 5 -q 1 -u " + kUid + " -P " + secret + " -t fleet/" + kUid + "/telemetry -l < " +
                          lines_path;
  auto publisher = ServerProcess::Start({"/bin/sh", "-c", cmd}, dir_ + "/publisher.log");
  ASSERT_TRUE(publisher);
  int64_t before_kill = 0;
  for (int i = 0; i < 2000 && (before_kill = ReadCount(db, dir_ + "/count.txt")) < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  first->Signal(SIGKILL);
  ASSERT_TRUE(first->WaitExit(std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto second = ServerProcess::Start(run, dir_ + "/fleetd2.log");
  ASSERT_TRUE(second);
  ASSERT_TRUE(publisher->WaitExit(std::chrono::seconds(60)));
  int64_t stored = 0;
  for (int i = 0; i < 600 && (stored = ReadCount(db, dir_ + "/count.txt")) < kMessages + 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(stored, kMessages + 1) << "stored before the kill: " << before_kill << "\n" << second->Log();
  EXPECT_LT(before_kill, kMessages + 1) << "the kill came after everything was stored: the test proved nothing";
  second->Stop();
}

}  // namespace
}  // namespace fleetd
