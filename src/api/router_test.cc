// Every route through the Beast-free router, with hostile input.
#include "api/router.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/json_util.h"
#include "api/password.h"
#include "core/message_json.h"
#include "api/test_fakes.h"

namespace fleetd::api {
namespace {

using nlohmann::json;
constexpr TimestampMs kNowMs = 1'800'000'000'000;
constexpr char kSecret[] = "router-test-secret-0123456789";

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : ctx_{.store = store_, .live = live_, .metrics = metrics_, .jwt_secret = kSecret} {
    ctx_.now = [this] { return now_; };
    ctx_.login_burst = 3;
    ctx_.login_per_second = 1;
    auto hash = HashPassword("s3cret", kTestScryptParams);
    store_.AddUser(User{0, 1, "admin@a", *hash, Role::kAdmin});
    store_.AddUser(User{0, 1, "viewer@a", *hash, Role::kViewer});
    store_.AddUser(User{0, 2, "admin@b", *hash, Role::kAdmin});
    store_.AddDevice(1, "dev-a1", "Truck A1");
    store_.AddDevice(2, "dev-b1", "Truck B1");
    for (int i = 0; i < 5; ++i) {
      store_.positions.push_back(
          Envelope{1, 1, testing::TestMessage("dev-a1", 1'700'000'000'000 + i * 60'000, 52.5, 13.4, 10.0 * i)});
    }
    store_.positions.push_back(Envelope{2, 2, testing::TestMessage("dev-b1", 1'700'000'000'000, 48.1, 11.5, 5)});
    router_ = std::make_unique<Router>(ctx_);
  }

  std::string Token(int64_t tenant, Role role, int64_t ttl = 3600) {
    JwtClaims c;
    c.subject = "1";
    c.tenant_id = tenant;
    c.role = role;
    c.issued_at = now_ / 1000;
    c.expires_at = now_ / 1000 + ttl;
    return *SignJwt(c, kSecret);
  }

  ApiResponse Call(const std::string& method, const std::string& target, const std::string& token = "",
                   const std::string& body = "", const std::string& remote = "10.0.0.1") {
    ApiRequest req;
    req.method = method;
    req.target = target;
    if (!token.empty()) req.authorization = "Bearer " + token;
    req.body = body;
    req.remote_address = remote;
    return router_->Handle(req);
  }

  static json Body(const ApiResponse& r) { return json::parse(r.body); }

  static void ExpectError(const ApiResponse& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_TRUE(j["error"].is_string()) << r.body;
  }

  testing::FakeStore store_;
  testing::FakeLive live_;
  Metrics metrics_;
  TimestampMs now_ = kNowMs;
  ApiContext ctx_;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, HealthAndMetrics) {
  auto health = Call("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Body(health), json({{"status", "ok"}}));
  metrics_.GetCounter("fleetd_test_total").Add(2);
  auto m = Call("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(m.body.find("fleetd_test_total 2"), std::string::npos);
}

// With a metrics token, /metrics (whose labels name devices) answers only
// that bearer: not a missing, wrong, prefixed or JWT one.
TEST_F(RouterTest, MetricsTokenGuardsMetrics) {
  const std::string kMetricsToken = "scrape-7f3a9c2e41d8";
  ctx_.metrics_token = kMetricsToken;
  router_ = std::make_unique<Router>(ctx_);
  metrics_.GetCounter("fleetd_device_frames_rejected_total", {{"device", "0355"}}).Add();
  auto call = [&](std::string authorization) {
    ApiRequest req;
    req.method = "GET";
    req.target = "/metrics";
    req.authorization = std::move(authorization);
    return router_->Handle(req);
  };
  for (std::string bad : {std::string(), std::string("Bearer"), "Bearer " + kMetricsToken.substr(1),
                          "Bearer " + kMetricsToken + "x", "Basic " + kMetricsToken, kMetricsToken,
                          "Bearer " + Token(1, Role::kOperator), std::string("Bearer ") + '\0'}) {
    auto r = call(bad);
    EXPECT_EQ(r.status, 401) << bad;
    EXPECT_EQ(r.body.find("0355"), std::string::npos) << bad;
  }
  for (std::string good : {"Bearer " + kMetricsToken, "bearer  " + kMetricsToken + " "}) {
    auto r = call(good);
    EXPECT_EQ(r.status, 200) << good;
    EXPECT_NE(r.body.find("0355"), std::string::npos) << good;
  }
  EXPECT_EQ(Call("GET", "/healthz").status, 200) << "health stays open for load balancers";
}

TEST(RouterStaticTest, OnlyALoginHashesAPassword) {
  auto request = [](std::string method, std::string target) {
    ApiRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    return r;
  };
  EXPECT_TRUE(Router::HashesPassword(request("POST", "/api/v1/auth/login")));
  EXPECT_TRUE(Router::HashesPassword(request("POST", "/api/v1/auth/login?next=x")));
  EXPECT_FALSE(Router::HashesPassword(request("GET", "/api/v1/auth/login")));
  EXPECT_FALSE(Router::HashesPassword(request("POST", "/api/v1/auth/login/")));
  EXPECT_FALSE(Router::HashesPassword(request("POST", "/api/v1/devices")));
  EXPECT_FALSE(Router::HashesPassword(request("POST", "%zz")));
  // What waits on the store or the live state: the data routes, also when
  // malformed (their 4xx is answered off the io thread too, harmlessly).
  EXPECT_TRUE(Router::WaitsOnServers(request("GET", "/api/v1/devices")));
  EXPECT_TRUE(Router::WaitsOnServers(request("GET", "/api/v1/live?near=1,2&radius_m=5")));
  EXPECT_TRUE(Router::WaitsOnServers(request("POST", "/api/v1/devices/x/commands")));
  EXPECT_TRUE(Router::WaitsOnServers(request("GET", "/api/v1/nope%zz")));
  EXPECT_FALSE(Router::WaitsOnServers(request("POST", "/api/v1/auth/login"))) << "the login pool's";
  EXPECT_FALSE(Router::WaitsOnServers(request("OPTIONS", "/api/v1/devices"))) << "a preflight waits on nothing";
  EXPECT_FALSE(Router::WaitsOnServers(request("GET", "/healthz")));
  EXPECT_FALSE(Router::WaitsOnServers(request("GET", "/metrics")));
  EXPECT_FALSE(Router::WaitsOnServers(request("GET", "/api/v1")));
  EXPECT_FALSE(Router::WaitsOnServers(request("GET", "")));
}

// An ingest or process node answers health and metrics only: no login, no
// data, whatever the token.
TEST_F(RouterTest, MetricsOnlyNodeServesNothingElse) {
  ctx_.metrics_only = true;
  router_ = std::make_unique<Router>(ctx_);
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  EXPECT_EQ(Call("GET", "/metrics").status, 200);
  auto login = Call("POST", "/api/v1/auth/login", "", R"({"email":"admin@a","password":"s3cret"})");
  EXPECT_EQ(login.status, 404) << login.body;
  EXPECT_EQ(login.body.find("access_token"), std::string::npos);
  const std::string token = Token(1, Role::kOperator);
  for (const char* target : {"/api/v1/devices", "/api/v1/devices/pending", "/api/v1/devices/dev-a1/positions",
                             "/api/v1/live", "/api/v1/stream"}) {
    EXPECT_EQ(Call("GET", target, token).status, 404) << target;
  }
}

TEST_F(RouterTest, UnknownRouteAndWrongMethod) {
  ExpectError(Call("GET", "/nope"), 404);
  ExpectError(Call("GET", "/api/v1/devices/"), 404);
  ExpectError(Call("GET", "/api/v1/devices/a/b/positions"), 404);
  ExpectError(Call("GET", "no-slash"), 400);
  ExpectError(Call("GET", "/api/v1/devices?x=%zz"), 400);
  auto r = Call("DELETE", "/api/v1/devices", Token(1, Role::kAdmin));
  ExpectError(r, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], std::make_pair(std::string("Allow"), std::string("GET, POST")));
  ExpectError(Call("GET", "/api/v1/auth/login"), 405);
  ExpectError(Call("POST", "/healthz"), 405);
  ExpectError(Call("GET", "/api/v1/stream"), 426);
}

TEST_F(RouterTest, LoginIssuesAWorkingToken) {
  auto r = Call("POST", "/api/v1/auth/login", "", R"({"email":"admin@a","password":"s3cret"})");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  EXPECT_EQ(j["token_type"], "Bearer");
  EXPECT_EQ(j["expires_in"], 12 * 3600);
  auto claims = VerifyJwt(j["access_token"].get<std::string>(), kSecret, kNowMs / 1000);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->tenant_id, 1);
  EXPECT_EQ(claims->role, Role::kAdmin);
  EXPECT_EQ(Call("GET", "/api/v1/devices", j["access_token"]).status, 200);
}

TEST_F(RouterTest, LoginRejectsBadCredentialsAndInput) {
  ExpectError(Call("POST", "/api/v1/auth/login", "", R"({"email":"admin@a","password":"wrong"})"), 401);
  ExpectError(Call("POST", "/api/v1/auth/login", "", R"({"email":"ghost@a","password":"s3cret"})", "10.0.0.2"),
              401);
  for (const char* bad : {"", "{", "[]", "null", R"({"email":"admin@a"})", R"({"email":1,"password":"s3cret"})",
                          R"({"email":"admin@a","password":null})", R"({"email":"","password":"x"})"}) {
    now_ += 10'000;  // stay under the rate limit
    ExpectError(Call("POST", "/api/v1/auth/login", "", bad), 400);
  }
}

TEST_F(RouterTest, LoginIsRateLimitedPerRemote) {
  const std::string body = R"({"email":"admin@a","password":"wrong"})";
  for (int i = 0; i < 3; ++i) ExpectError(Call("POST", "/api/v1/auth/login", "", body, "10.9.9.9"), 401);
  auto limited = Call("POST", "/api/v1/auth/login", "", body, "10.9.9.9");
  ExpectError(limited, 429);
  ExpectError(Call("POST", "/api/v1/auth/login", "", body, "10.9.9.8"), 401);  // another address
  now_ += 1000;
  ExpectError(Call("POST", "/api/v1/auth/login", "", body, "10.9.9.9"), 401);  // refilled one
}

TEST_F(RouterTest, ProtectedRoutesNeedAValidToken) {
  std::string expired = Token(1, Role::kAdmin, -1);
  std::string tampered = Token(1, Role::kAdmin);
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'a' ? 'b' : 'a';
  for (const char* target : {"/api/v1/devices", "/api/v1/devices/pending", "/api/v1/devices/dev-a1/positions",
                             "/api/v1/live"}) {
    auto missing = Call("GET", target);
    ExpectError(missing, 401);
    EXPECT_EQ(Body(missing)["error"], "missing bearer token");
    ExpectError(Call("GET", target, expired), 401);
    ExpectError(Call("GET", target, tampered), 401);
    ExpectError(Call("GET", target, "garbage"), 401);
  }
  ApiRequest basic{"GET", "/api/v1/devices", "Basic YWRtaW46YWRtaW4=", "", "", "10.0.0.1"};
  ExpectError(router_->Handle(basic), 401);
  ApiRequest lower{"GET", "/api/v1/devices", "bearer " + Token(1, Role::kViewer), "", "", "10.0.0.1"};
  EXPECT_EQ(router_->Handle(lower).status, 200);
}

TEST_F(RouterTest, ListDevicesIsTenantScoped) {
  auto r = Call("GET", "/api/v1/devices", Token(1, Role::kViewer));
  ASSERT_EQ(r.status, 200);
  json j = Body(r);
  ASSERT_EQ(j["devices"].size(), 1u);
  EXPECT_EQ(j["devices"][0]["uid"], "dev-a1");
  EXPECT_EQ(j["devices"][0]["name"], "Truck A1");
  EXPECT_EQ(j["devices"][0]["created_at"], "2023-11-14T22:13:20Z");
}

TEST_F(RouterTest, StoreFailuresDoNotLeakDetails) {
  store_.fail_reads = true;
  auto r = Call("GET", "/api/v1/devices", Token(1, Role::kViewer));
  ExpectError(r, 500);
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
}

TEST_F(RouterTest, AddDevice) {
  auto r = Call("POST", "/api/v1/devices", Token(1, Role::kAdmin), R"({"uid":"359339075123456","name":"Van 7"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["uid"], "359339075123456");
  EXPECT_EQ(Body(r)["name"], "Van 7");
  auto unnamed = Call("POST", "/api/v1/devices", Token(1, Role::kAdmin), R"({"uid":"abc"})");
  ASSERT_EQ(unnamed.status, 201);
  EXPECT_EQ(Body(unnamed)["name"], "abc");
  EXPECT_EQ(Body(Call("GET", "/api/v1/devices", Token(1, Role::kAdmin)))["devices"].size(), 3u);
}

TEST_F(RouterTest, AddDeviceRejections) {
  std::string admin = Token(1, Role::kAdmin);
  ExpectError(Call("POST", "/api/v1/devices", Token(1, Role::kViewer), R"({"uid":"new1"})"), 403);
  ExpectError(Call("POST", "/api/v1/devices", admin, R"({"uid":"dev-a1"})"), 409);
  ExpectError(Call("POST", "/api/v1/devices", admin, R"({"uid":"dev-b1"})"), 409);  // uids are global
  for (const char* bad : {"", "{", "[1]", "{}", R"({"uid":7})", R"({"uid":""})", R"({"uid":null})",
                          R"({"uid":"has space"})", R"({"uid":"a/b"})", R"({"uid":"x","name":5})",
                          R"({"uid":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})"}) {
    ExpectError(Call("POST", "/api/v1/devices", admin, bad), 400);
  }
  ExpectError(Call("POST", "/api/v1/devices", admin, R"({"uid":"x","name":")" + std::string(200, 'n') + "\"}"),
              400);
}

// Pending devices belong to no tenant: a tenant's admin seeing them would
// see other tenants' hardware. Only the platform's operator lists them.
TEST_F(RouterTest, PendingIsOperatorOnly) {
  store_.pending.push_back(PendingDevice{"0355", "gt06", "203.0.113.9:4411", 1'700'000'000'000,
                                         1'700'000'060'000, 4});
  ExpectError(Call("GET", "/api/v1/devices/pending", Token(1, Role::kViewer)), 403);
  auto refused = Call("GET", "/api/v1/devices/pending", Token(2, Role::kAdmin));
  ExpectError(refused, 403);
  EXPECT_EQ(refused.body.find("0355"), std::string::npos) << refused.body;
  auto r = Call("GET", "/api/v1/devices/pending", Token(1, Role::kOperator));
  ASSERT_EQ(r.status, 200);
  json d = Body(r)["devices"][0];
  EXPECT_EQ(d["uid"], "0355");
  EXPECT_EQ(d["protocol"], "gt06");
  EXPECT_EQ(d["remote_address"], "203.0.113.9:4411");
  EXPECT_EQ(d["first_seen"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(d["last_seen"], "2023-11-14T22:14:20Z");
  EXPECT_EQ(d["attempts"], 4);

  ctx_.pending_devices = [] { return Result<std::vector<PendingDevice>>(std::vector<PendingDevice>{}); };
  EXPECT_EQ(Body(Call("GET", "/api/v1/devices/pending", Token(1, Role::kOperator)))["devices"].size(), 0u);
}

// An operator is an admin of its own tenant too: it claims a pending device
// by uid, and the claim is scoped to its tenant like any admin's.
TEST_F(RouterTest, OperatorManagesItsOwnTenant) {
  auto r = Call("POST", "/api/v1/devices", Token(1, Role::kOperator), R"({"uid":"0355","name":"Claimed"})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto device = store_.FindDeviceByUid("0355");
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(device->tenant_id, 1);
  ExpectError(Call("POST", "/api/v1/devices", Token(1, Role::kViewer), R"({"uid":"0356"})"), 403);
}

TEST_F(RouterTest, PositionsPagesAndFilters) {
  std::string t = Token(1, Role::kViewer);
  auto all = Body(Call("GET", "/api/v1/devices/dev-a1/positions", t));
  EXPECT_EQ(all["positions"].size(), 5u);
  EXPECT_TRUE(all["next"].is_null());
  EXPECT_EQ(all["positions"][0]["device_uid"], "dev-a1");
  EXPECT_EQ(all["positions"][0]["speed_kmh"], 0.0);
  EXPECT_EQ(all["positions"][0]["ts"], "2023-11-14T22:13:20Z");

  auto page1 = Body(Call("GET", "/api/v1/devices/dev-a1/positions?limit=2", t));
  ASSERT_EQ(page1["positions"].size(), 2u);
  ASSERT_TRUE(page1["next"].is_string());
  auto page2 = Body(Call("GET", "/api/v1/devices/dev-a1/positions?limit=2&cursor=" +
                                    page1["next"].get<std::string>(), t));
  ASSERT_EQ(page2["positions"].size(), 2u);
  EXPECT_EQ(page2["positions"][0]["ts"], "2023-11-14T22:15:20Z");

  auto window = Body(Call("GET",
                          "/api/v1/devices/dev-a1/positions?from=2023-11-14T22:14:20Z&to=1700000180", t));
  EXPECT_EQ(window["positions"].size(), 2u);
  ASSERT_TRUE(store_.last_query);
  EXPECT_EQ(store_.last_query->tenant_id, 1);
  EXPECT_EQ(*store_.last_query->from, 1'700'000'060'000);
  EXPECT_EQ(*store_.last_query->to, 1'700'000'180'000);
  EXPECT_EQ(store_.last_query->limit, kDefaultPositionsLimit);

  // Percent-encoded time with an offset.
  auto encoded = Call("GET", "/api/v1/devices/dev-a1/positions?from=2023-11-14T23%3A14%3A20%2B01%3A00", t);
  EXPECT_EQ(encoded.status, 200);
  EXPECT_EQ(*store_.last_query->from, 1'700'000'060'000);
}

TEST_F(RouterTest, PositionsRejectsBadParameters) {
  std::string t = Token(1, Role::kViewer);
  for (const char* q : {"limit=10001", "limit=0", "limit=-5", "limit=abc", "limit=99999999999999999999",
                        "limit=1.5", "from=yesterday", "to=2023-13-01T00:00:00Z", "from=2023-11-14T22:14:20Zjunk",
                        "from=1700000180&to=1700000000", "cursor=abc", "cursor=12x"}) {
    ExpectError(Call("GET", std::string("/api/v1/devices/dev-a1/positions?") + q, t), 400);
  }
  EXPECT_EQ(Call("GET", "/api/v1/devices/dev-a1/positions?limit=10000", t).status, 200);
}

TEST_F(RouterTest, PositionsOfOtherTenantsOrUnknownDevicesAre404) {
  ExpectError(Call("GET", "/api/v1/devices/dev-b1/positions", Token(1, Role::kAdmin)), 404);
  ExpectError(Call("GET", "/api/v1/devices/nope/positions", Token(1, Role::kAdmin)), 404);
  EXPECT_EQ(Call("GET", "/api/v1/devices/dev-b1/positions", Token(2, Role::kViewer)).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/devices/dev%2Da1/positions", Token(1, Role::kViewer)).status, 200);
}

TEST_F(RouterTest, CommandsGoToTheBrokerOnlyForOwnDevicesAndAdmins) {
  const std::string cmd = R"({"name":"setparam","params":{"interval":30}})";
  // No broker configured: a clear 503.
  ExpectError(Call("POST", "/api/v1/devices/dev-a1/commands", Token(1, Role::kAdmin), cmd), 503);
  std::vector<std::pair<std::string, std::string>> sent;
  ctx_.send_command = [&](const std::string& uid, const std::string& payload) {
    sent.emplace_back(uid, payload);
    return Status::Ok();
  };
  router_ = std::make_unique<Router>(ctx_);
  auto ok = Call("POST", "/api/v1/devices/dev-a1/commands", Token(1, Role::kAdmin), cmd);
  ASSERT_EQ(ok.status, 202) << ok.body;
  EXPECT_EQ(Body(ok)["topic"], "fleet/dev-a1/cmd");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first, "dev-a1");
  EXPECT_EQ(json::parse(sent[0].second), json::parse(cmd));
  // Hostile or unauthorized requests send nothing.
  ExpectError(Call("POST", "/api/v1/devices/dev-b1/commands", Token(1, Role::kAdmin), cmd), 404);  // other tenant
  ExpectError(Call("POST", "/api/v1/devices/nope/commands", Token(1, Role::kAdmin), cmd), 404);
  ExpectError(Call("POST", "/api/v1/devices/dev-a1/commands", Token(1, Role::kViewer), cmd), 403);
  ExpectError(Call("POST", "/api/v1/devices/dev-a1/commands", "", cmd), 401);
  ExpectError(Call("POST", "/api/v1/devices/dev-a1/commands", Token(1, Role::kAdmin), "not json"), 400);
  ExpectError(Call("POST", "/api/v1/devices/dev-a1/commands", Token(1, Role::kAdmin), "[1,2]"), 400);
  ExpectError(Call("POST", "/api/v1/devices/dev%2Ba1/commands", Token(1, Role::kAdmin), cmd), 400);
  ExpectError(Call("GET", "/api/v1/devices/dev-a1/commands", Token(1, Role::kAdmin)), 405);
  EXPECT_EQ(sent.size(), 1u);
  // The broker being away is a 503 with the reason.
  ctx_.send_command = [](const std::string&, const std::string&) {
    return Status(StatusCode::kIoError, "not connected to the MQTT broker");
  };
  router_ = std::make_unique<Router>(ctx_);
  auto away = Call("POST", "/api/v1/devices/dev-a1/commands", Token(1, Role::kAdmin), cmd);
  EXPECT_EQ(away.status, 503);
  EXPECT_NE(away.body.find("not connected"), std::string::npos);
}

TEST_F(RouterTest, LiveSnapshotIsTenantScoped) {
  std::vector<Envelope> batch = {Envelope{1, 1, testing::TestMessage("dev-a1", 1000, 1, 2, 3)},
                                 Envelope{2, 2, testing::TestMessage("dev-b1", 1000, 4, 5, 6)}};
  live_.Update(batch);
  auto j = Body(Call("GET", "/api/v1/live", Token(1, Role::kViewer)));
  ASSERT_EQ(j["positions"].size(), 1u);
  EXPECT_EQ(j["positions"][0]["device_uid"], "dev-a1");
  EXPECT_EQ(j["positions"][0]["lat"], 1.0);
}

// `fleetd device remove` reaches the store only: the live state keeps the
// device's last position, and the API must not show it (nor count it in a
// near query's limit).
TEST_F(RouterTest, LiveLeavesOutDevicesThatAreNotRegistered) {
  std::vector<Envelope> batch = {Envelope{1, 1, testing::TestMessage("dev-0gone", 1000, 52.5, 13.4, 3)},
                                 Envelope{1, 1, testing::TestMessage("dev-a1", 1000, 52.6, 13.4, 3)}};
  live_.Update(batch);
  auto j = Body(Call("GET", "/api/v1/live", Token(1, Role::kViewer)));
  ASSERT_EQ(j["positions"].size(), 1u) << j;
  EXPECT_EQ(j["positions"][0]["device_uid"], "dev-a1");

  // The fake answers in uid order: the removed device fills limit=1 first.
  auto r = Call("GET", "/api/v1/live?near=52.5,13.4&radius_m=50000&limit=1", Token(1, Role::kViewer));
  ASSERT_EQ(r.status, 200) << r.body;
  j = Body(r);
  ASSERT_EQ(j["positions"].size(), 1u) << j;
  EXPECT_EQ(j["positions"][0]["device_uid"], "dev-a1");
  EXPECT_EQ(live_.last_near->limit, 2u) << "asked once more for one more";

  // Within registered_ttl the list is the one read above; a router that
  // reads it every time reports the store's failure, without its text.
  store_.fail_reads = true;
  EXPECT_EQ(Call("GET", "/api/v1/live", Token(1, Role::kViewer)).status, 200);
  ctx_.registered_ttl = std::chrono::milliseconds(0);
  router_ = std::make_unique<Router>(ctx_);
  r = Call("GET", "/api/v1/live", Token(1, Role::kViewer));
  EXPECT_EQ(r.status / 100, 5) << r.body;
  EXPECT_EQ(r.body.find("/secret/path"), std::string::npos) << r.body;
}

// /live reads the tenant's registered devices once per registered_ttl, not
// per request; a device added through the API shows at once all the same.
TEST_F(RouterTest, LiveReadsTheRegisteredDevicesOncePerTtl) {
  std::vector<Envelope> batch = {Envelope{1, 1, testing::TestMessage("dev-a1", 1000, 52.6, 13.4, 3)},
                                 Envelope{1, 1, testing::TestMessage("dev-a2", 1000, 52.7, 13.4, 3)},
                                 Envelope{2, 2, testing::TestMessage("dev-b1", 1000, 48.1, 11.5, 3)}};
  live_.Update(batch);
  const std::string viewer = Token(1, Role::kViewer);
  for (int i = 0; i < 3; ++i) {
    auto j = Body(Call("GET", "/api/v1/live", viewer));
    ASSERT_EQ(j["positions"].size(), 1u) << j;
  }
  EXPECT_EQ(store_.list_calls, 1);
  ASSERT_EQ(Call("POST", "/api/v1/devices", Token(1, Role::kAdmin), R"({"uid":"dev-a2"})").status, 201);
  auto j = Body(Call("GET", "/api/v1/live", viewer));
  EXPECT_EQ(j["positions"].size(), 2u) << "the API's own change shows at once: " << j;
  EXPECT_EQ(store_.list_calls, 2);
  // Another tenant has its own list.
  j = Body(Call("GET", "/api/v1/live", Token(2, Role::kViewer)));
  ASSERT_EQ(j["positions"].size(), 1u) << j;
  EXPECT_EQ(j["positions"][0]["device_uid"], "dev-b1");
  EXPECT_EQ(store_.list_calls, 3);
}

// The list is read again once it is registered_ttl old, a failed read is
// not remembered, and ttl 0 reads it every time.
TEST(RegisteredDevicesTest, RereadsAfterTheTtlAndNeverRemembersAFailure) {
  testing::FakeStore store;
  store.AddDevice(1, "dev-1", "one");
  auto now = RegisteredDevices::Clock::time_point{} + std::chrono::hours(1);
  RegisteredDevices registered(store, std::chrono::milliseconds(2000), [&] { return now; });
  auto two = [] {
    return std::vector<Message>{testing::TestMessage("dev-1", 1000, 1, 2, 3), testing::TestMessage("dev-2", 1000, 1, 2, 3)};
  };
  auto first = registered.Filter(1, two());
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  store.AddDevice(1, "dev-2", "two");  // by another process: not seen until the list is old
  now += std::chrono::milliseconds(1999);
  EXPECT_EQ(registered.Filter(1, two())->size(), 1u);
  EXPECT_EQ(store.list_calls, 1);
  now += std::chrono::milliseconds(1);
  EXPECT_EQ(registered.Filter(1, two())->size(), 2u);
  EXPECT_EQ(store.list_calls, 2);

  now += std::chrono::seconds(5);
  store.fail_reads = true;
  EXPECT_EQ(registered.Filter(1, two()).status().code(), StatusCode::kIoError);
  store.fail_reads = false;
  EXPECT_EQ(registered.Filter(1, two())->size(), 2u) << "the failure was not kept";
  EXPECT_EQ(store.list_calls, 4);
  EXPECT_TRUE(registered.Filter(1, {})->empty()) << "nothing to filter: no read";
  EXPECT_EQ(store.list_calls, 4);

  RegisteredDevices uncached(store, std::chrono::milliseconds(0));
  uncached.Filter(1, two());
  uncached.Filter(1, two());
  EXPECT_EQ(store.list_calls, 6);
}

// The position routes write each message's JSON as text: the bytes must be
// the tree's (MessageToJson, then the one dump), device-sent oddities too.
TEST_F(RouterTest, PositionsAreTheSameBytesAsTheJsonTree) {
  Message odd = testing::TestMessage("dev-a1", 1'700'000'900'000, -33.9, 151.2, 12.5);
  odd.attributes.Set("note", std::string("quote \" backslash \\ tab \t bad \xff\xfe utf-8 \xc3\xa9"));
  odd.attributes.Set("io239", int64_t{1});
  odd.attributes.Set("ratio", 0.1);
  store_.positions.push_back(Envelope{1, 1, odd});
  auto r = Call("GET", "/api/v1/devices/dev-a1/positions?limit=3", Token(1, Role::kViewer));
  ASSERT_EQ(r.status, 200) << r.body;
  auto page = store_.QueryPositions(PositionQuery{1, "dev-a1", {}, {}, {}, 3});
  ASSERT_TRUE(page.ok());
  Json tree = Json::object();
  tree["positions"] = Json::array();
  for (const Message& m : page->positions) tree["positions"].push_back(MessageToJson(m));
  tree["next"] = page->next ? Json(std::to_string(*page->next)) : Json(nullptr);
  EXPECT_EQ(r.body, DumpJson(tree));

  std::vector<Envelope> batch = {Envelope{1, 1, odd}};
  live_.Update(batch);
  auto live = Call("GET", "/api/v1/live", Token(1, Role::kViewer));
  ASSERT_EQ(live.status, 200);
  Json live_tree = Json::object();
  live_tree["positions"] = Json::array({MessageToJson(odd)});
  EXPECT_EQ(live.body, DumpJson(live_tree));
}

TEST_F(RouterTest, LiveNearPassesTheQueryToTheLiveState) {
  std::vector<Envelope> batch = {Envelope{1, 1, testing::TestMessage("dev-a1", 1000, 52.5, 13.4, 3)},
                                 Envelope{1, 1, testing::TestMessage("dev-a2", 1000, 52.6, 13.4, 3)},
                                 Envelope{2, 2, testing::TestMessage("dev-b1", 1000, 52.5, 13.4, 6)}};
  live_.Update(batch);
  auto r = Call("GET", "/api/v1/live?near=52.52,13.405&radius_m=1500.5&limit=1", Token(1, Role::kViewer));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(live_.last_near.has_value());
  EXPECT_EQ(live_.last_near->tenant_id, 1) << "the tenant comes from the token";
  EXPECT_EQ(live_.last_near->lat, 52.52);
  EXPECT_EQ(live_.last_near->lng, 13.405);
  EXPECT_EQ(live_.last_near->radius_m, 1500.5);
  EXPECT_EQ(live_.last_near->limit, 1u);
  json j = Body(r);
  ASSERT_EQ(j["positions"].size(), 1u);
  EXPECT_EQ(j["positions"][0]["device_uid"], "dev-a1");

  r = Call("GET", "/api/v1/live?near=-33.9%2C151.2&radius_m=1e3", Token(2, Role::kViewer));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(live_.last_near->tenant_id, 2);
  EXPECT_EQ(live_.last_near->lat, -33.9);
  EXPECT_EQ(live_.last_near->lng, 151.2);
  EXPECT_EQ(live_.last_near->radius_m, 1000);
  EXPECT_EQ(live_.last_near->limit, static_cast<size_t>(kDefaultNearLimit));
  j = Body(r);
  ASSERT_EQ(j["positions"].size(), 1u);
  EXPECT_EQ(j["positions"][0]["device_uid"], "dev-b1");

  // The edges of the domain are accepted.
  for (const char* q : {"near=85.05112878,180&radius_m=20000000&limit=10000", "near=-85.05112878,-180&radius_m=0.1",
                        "near=0,0&radius_m=1"}) {
    EXPECT_EQ(Call("GET", std::string("/api/v1/live?") + q, Token(1, Role::kViewer)).status, 200) << q;
  }
  ExpectError(Call("GET", "/api/v1/live?near=1,2&radius_m=5"), 401);
}

TEST_F(RouterTest, LiveNearRejectsBadParameters) {
  std::string t = Token(1, Role::kViewer);
  struct Case {
    const char* query;
    const char* says;
  };
  for (const Case& c : {
           Case{"near=52.5,13.4", "needs \"radius_m\""},
           Case{"radius_m=100", "need \"near\""},
           Case{"limit=5", "need \"near\""},
           Case{"radius_m=100&limit=5", "need \"near\""},
           Case{"near=&radius_m=100", "\"lat,lng\""},
           Case{"near=52.5&radius_m=100", "\"lat,lng\""},
           Case{"near=52.5,&radius_m=100", "\"lat,lng\""},
           Case{"near=,13.4&radius_m=100", "\"lat,lng\""},
           Case{"near=52.5,13.4,1&radius_m=100", "\"lat,lng\""},
           Case{"near=52.5;13.4&radius_m=100", "\"lat,lng\""},
           Case{"near=52.5+,13.4&radius_m=100", "\"lat,lng\""},  // '+' is a space
           Case{"near=+52.5,13.4&radius_m=100", "\"lat,lng\""},
           Case{"near=52.5, 13.4&radius_m=100", "\"lat,lng\""},
           Case{"near=abc,def&radius_m=100", "\"lat,lng\""},
           Case{"near=nan,13.4&radius_m=100", "\"lat,lng\""},
           Case{"near=52.5,inf&radius_m=100", "\"lat,lng\""},
           Case{"near=1e999,13.4&radius_m=100", "\"lat,lng\""},
           Case{"near=0x10,13.4&radius_m=100", "\"lat,lng\""},
           Case{"near=52.5N,13.4E&radius_m=100", "\"lat,lng\""},
           Case{"near=91,13.4&radius_m=100", "latitude"},
           Case{"near=-90,13.4&radius_m=100", "latitude"},
           Case{"near=85.06,13.4&radius_m=100", "latitude"},
           Case{"near=52.5,180.0001&radius_m=100", "longitude"},
           Case{"near=52.5,-181&radius_m=100", "longitude"},
           Case{"near=52.5,13.4&radius_m=", "\"radius_m\" must be"},
           Case{"near=52.5,13.4&radius_m=-5", "\"radius_m\" must be"},
           Case{"near=52.5,13.4&radius_m=0", "\"radius_m\" must be"},
           Case{"near=52.5,13.4&radius_m=20000000.5", "\"radius_m\" must be"},
           Case{"near=52.5,13.4&radius_m=1e308", "\"radius_m\" must be"},
           Case{"near=52.5,13.4&radius_m=inf", "\"radius_m\" must be"},
           Case{"near=52.5,13.4&radius_m=nan", "\"radius_m\" must be"},
           Case{"near=52.5,13.4&radius_m=100m", "\"radius_m\" must be"},
           Case{"near=52.5,13.4&radius_m=1km", "\"radius_m\" must be"},
           Case{"near=52.5,13.4&radius_m=100&limit=0", "\"limit\""},
           Case{"near=52.5,13.4&radius_m=100&limit=-1", "\"limit\""},
           Case{"near=52.5,13.4&radius_m=100&limit=10001", "\"limit\""},
           Case{"near=52.5,13.4&radius_m=100&limit=2.5", "\"limit\""},
           Case{"near=52.5,13.4&radius_m=100&limit=99999999999999999999", "\"limit\""},
           Case{"near=52.5,13.4&radius_m=100&limit=", "\"limit\""},
       }) {
    auto r = Call("GET", std::string("/api/v1/live?") + c.query, t);
    ExpectError(r, 400);
    std::string error = Body(r)["error"];
    EXPECT_NE(error.find(c.says), std::string::npos) << c.query << " -> " << error;
  }
  EXPECT_FALSE(live_.last_near.has_value()) << "no bad query reaches the live state";
}

TEST_F(RouterTest, StreamAuthentication) {
  std::string t = Token(1, Role::kViewer);
  ApiRequest req{"GET", "/api/v1/stream?access_token=" + t, "", "", "", "1.2.3.4"};
  auto ok = router_->AuthenticateStream(req);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->tenant_id, 1);
  req.target = "/api/v1/stream";
  EXPECT_FALSE(router_->AuthenticateStream(req).ok());
  req.authorization = "Bearer " + t;
  EXPECT_TRUE(router_->AuthenticateStream(req).ok());
  req.authorization.clear();
  req.target = "/api/v1/stream?access_token=bad";
  EXPECT_FALSE(router_->AuthenticateStream(req).ok());
}

TEST_F(RouterTest, CorsWhenConfigured) {
  ctx_.cors_allow_origin = "https://dash.example";
  auto pre = Call("OPTIONS", "/api/v1/devices");
  EXPECT_EQ(pre.status, 204);
  auto r = Call("GET", "/healthz");
  bool found = false;
  for (const auto& [k, v] : r.headers) found |= k == "Access-Control-Allow-Origin" && v == "https://dash.example";
  EXPECT_TRUE(found);
}

TEST_F(RouterTest, InvalidUtf8InStoredNamesDoesNotThrow) {
  store_.AddDevice(1, "bin", std::string("\xff\xfe", 2));
  auto r = Call("GET", "/api/v1/devices", Token(1, Role::kViewer));
  EXPECT_EQ(r.status, 200);
}

}  // namespace
}  // namespace fleetd::api
