#include "app/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

namespace fleetd {
namespace {

std::optional<uint16_t> Ports(const std::string& name) {
  if (name == "gt06") return 5023;
  return std::nullopt;
}

Status Finalize(Config& c) { return FinalizeConfig(c, Ports, {"gt06"}); }

std::string WriteFile(const std::string& text) {
  static int n = 0;
  auto path = std::filesystem::temp_directory_path() /
              ("fleetd_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

TEST(ConfigTest, DefaultsFollowTraccarPortsAndDataDir) {
  Config c;
  ASSERT_TRUE(Finalize(c).ok());
  EXPECT_EQ(c.store_url, "sqlite:./data/fleetd.db");
  ASSERT_EQ(c.listens.size(), 1u);
  EXPECT_EQ(c.listens[0].protocol, "gt06");
  EXPECT_EQ(c.listens[0].endpoint.port, 5023);
  EXPECT_EQ(c.api.port, 8080);
  EXPECT_EQ(c.queue_url, "memory:");
}

TEST(ConfigTest, ParsesAddresses) {
  EXPECT_EQ(ParseHostPort("127.0.0.1:0")->port, 0);
  EXPECT_EQ(ParseHostPort("[::1]:8080")->host, "::1");
  EXPECT_EQ(ParseHostPort(":9000")->host, "0.0.0.0");
  EXPECT_FALSE(ParseHostPort("localhost").ok());
  EXPECT_FALSE(ParseHostPort("1.2.3.4:99999").ok());
  EXPECT_FALSE(ParseHostPort("1.2.3.4:-1").ok());
  EXPECT_FALSE(ParseHostPort("::1:80").ok());
  EXPECT_FALSE(ParseHostPort("").ok());
  auto spec = ParseListenSpec("gt06=127.0.0.1:15023");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->protocol, "gt06");
  EXPECT_EQ(spec->endpoint.port, 15023);
  EXPECT_FALSE(ParseListenSpec("=1.2.3.4:5").ok());
  EXPECT_FALSE(ParseListenSpec("gt06=nowhere").ok());
}

TEST(ConfigTest, FileThenEnvironmentPrecedence) {
  Config c;
  std::string path = WriteFile(
      "data_dir = \"/tmp/fleetd-x\"\n"
      "api = \"127.0.0.1:9090\"\n"
      "listen = [\"gt06=127.0.0.1:15023\"]\n"
      "batch_size = 200\n");
  ASSERT_TRUE(LoadConfigFile(path, c).ok());
  std::map<std::string, std::string> env{{"FLEETD_BATCH_SIZE", "300"}, {"FLEETD_QUEUE", "memory:"}};
  ASSERT_TRUE(ApplyEnvironment(c, [&](const char* n) -> const char* {
                auto it = env.find(n);
                return it == env.end() ? nullptr : it->second.c_str();
              }).ok());
  ASSERT_TRUE(Finalize(c).ok());
  EXPECT_EQ(c.data_dir, "/tmp/fleetd-x");
  EXPECT_EQ(c.store_url, "sqlite:/tmp/fleetd-x/fleetd.db");
  EXPECT_EQ(c.api.port, 9090);
  EXPECT_EQ(c.listens.at(0).endpoint.port, 15023);
  EXPECT_EQ(c.batch_size, 300);  // environment beats the file
}

TEST(ConfigTest, RejectsHostileFiles) {
  Config c;
  EXPECT_FALSE(LoadConfigFile(WriteFile("data_dir = 5\n"), c).ok());
  EXPECT_FALSE(LoadConfigFile(WriteFile("no_such_key = 1\n"), c).ok());
  EXPECT_FALSE(LoadConfigFile(WriteFile("listen = \"gt06\"\n"), c).ok());
  EXPECT_FALSE(LoadConfigFile(WriteFile("this is [not toml\n"), c).ok());
  EXPECT_FALSE(LoadConfigFile(WriteFile("batch_size = 1.5\n"), c).ok());
  EXPECT_FALSE(LoadConfigFile("/nonexistent/fleetd.toml", c).ok());
}

TEST(ConfigTest, RejectsBadValues) {
  {
    Config c;
    c.listens.push_back(ListenSpec{"nosuch", {}});
    Status s = Finalize(c);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("nosuch"), std::string::npos);
  }
  {
    Config c;
    c.batch_size = 0;
    EXPECT_FALSE(Finalize(c).ok());
  }
  {
    Config c;
    c.jwt_secret = "short";
    EXPECT_FALSE(Finalize(c).ok());
  }
  {
    Config c;
    c.lenient_protocols = {"nosuch"};
    EXPECT_FALSE(Finalize(c).ok());
  }
  for (std::string token : {std::string("short"), std::string(257, 'a'), std::string("has a space in it ok"),
                            std::string("tab\there-long-enough"), std::string("nul\0\0\0\0-long-enough", 21),
                            std::string("non-ascii-\xc3\xa9-long-enough")}) {
    Config c;
    c.metrics_token = token;
    Status s = Finalize(c);
    EXPECT_FALSE(s.ok()) << token;
    EXPECT_NE(s.message().find("metrics_token"), std::string::npos) << s.message();
  }
  {
    Config c;
    c.metrics_token = "scrape-7f3a9c2e41d8";
    EXPECT_TRUE(Finalize(c).ok());
    Config from_env;
    ASSERT_TRUE(ApplyEnvironment(from_env, [](const char* n) -> const char* {
                  return std::string(n) == "FLEETD_METRICS_TOKEN" ? "scrape-from-environment" : nullptr;
                }).ok());
    EXPECT_EQ(from_env.metrics_token, "scrape-from-environment");
  }
  {
    Config c;
    EXPECT_FALSE(ApplyEnvironment(c, [](const char* n) -> const char* {
                   return std::string(n) == "FLEETD_THREADS" ? "lots" : nullptr;
                 }).ok());
  }
}

TEST(ConfigTest, RegisteredTtlFromFileAndEnvironmentWithinItsRange) {
  Config c;
  EXPECT_EQ(c.registered_ttl_ms, 2000);
  ASSERT_TRUE(LoadConfigFile(WriteFile("registered_ttl_ms = 0\n"), c).ok());
  EXPECT_EQ(c.registered_ttl_ms, 0);
  EXPECT_TRUE(Finalize(c).ok()) << "0: read for every request";
  for (const char* bad : {"-1", "60001", "2s", "", "99999999999999999999"}) {
    Config e;
    Status s = ApplyEnvironment(e, [&](const char* n) -> const char* {
      return std::string(n) == "FLEETD_REGISTERED_TTL_MS" ? bad : nullptr;
    });
    if (s.ok()) s = Finalize(e);
    EXPECT_FALSE(s.ok()) << "'" << bad << "'";
    // Named as the operator wrote it: the variable, or the key for a range error.
    EXPECT_TRUE(s.message().find("FLEETD_REGISTERED_TTL_MS") != std::string::npos ||
                s.message().find("registered_ttl_ms") != std::string::npos)
        << s.message();
  }
  Config f;
  EXPECT_FALSE(LoadConfigFile(WriteFile("registered_ttl_ms = \"2000\"\n"), f).ok());
}

}  // namespace
}  // namespace fleetd

namespace fleetd {
namespace {

TEST(ConfigTest, MqttSettingsFromFileAndEnvironment) {
  Config c;
  std::string path = WriteFile(
      "mqtt = \"mqtt://fleetd:pw@127.0.0.1:1884\"\n"
      "mqtt_client_id = \"fleetd-a\"\n"
      "mqtt_receive_maximum = 500\n");
  ASSERT_TRUE(LoadConfigFile(path, c).ok());
  std::map<std::string, std::string> env{{"FLEETD_MQTT_CLIENT_ID", "fleetd-b"},
                                         {"FLEETD_MQTT_SESSION_EXPIRY", "3600"}};
  ASSERT_TRUE(ApplyEnvironment(c, [&](const char* n) -> const char* {
                auto it = env.find(n);
                return it == env.end() ? nullptr : it->second.c_str();
              }).ok());
  ASSERT_TRUE(Finalize(c).ok());
  EXPECT_EQ(c.mqtt_url, "mqtt://fleetd:pw@127.0.0.1:1884");
  EXPECT_EQ(c.mqtt_client_id, "fleetd-b");
  EXPECT_EQ(c.mqtt_receive_maximum, 500);
  EXPECT_EQ(c.mqtt_session_expiry_s, 3600);
}

TEST(ConfigTest, RejectsBadMqttValues) {
  struct Case {
    std::function<void(Config&)> set;
    const char* why;
  } cases[] = {
      {[](Config& c) { c.mqtt_url = "tcp://broker:1883"; }, "must start with mqtt://"},
      {[](Config& c) { c.mqtt_url = "mqtt://broker:99999"; }, "port out of range"},
      {[](Config& c) { c.mqtt_client_id = "has space"; }, "mqtt_client_id"},
      {[](Config& c) { c.mqtt_client_id = "a/b"; }, "mqtt_client_id"},
      {[](Config& c) { c.mqtt_client_id = std::string(129, 'x'); }, "longer than 128"},
      {[](Config& c) { c.mqtt_receive_maximum = 0; }, "mqtt_receive_maximum"},
      {[](Config& c) { c.mqtt_receive_maximum = 70000; }, "mqtt_receive_maximum"},
      {[](Config& c) { c.mqtt_session_expiry_s = 5; }, "mqtt_session_expiry"},
      {[](Config& c) { c.mqtt_ca_file = "/nonexistent/ca.pem"; }, "cannot be read"},
  };
  for (const auto& k : cases) {
    Config c;
    k.set(c);
    Status s = Finalize(c);
    ASSERT_FALSE(s.ok()) << k.why;
    EXPECT_NE(s.message().find(k.why), std::string::npos) << s.message();
  }
  Config c;
  std::string path = WriteFile("mqtt = 1883\n");
  Status s = LoadConfigFile(path, c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'mqtt' must be a string"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace fleetd

namespace fleetd {
namespace {

// The tenant -> DSN map (docs/postgres.md): [store_tenants] in the file,
// FLEETD_STORE_TENANTS, --store-tenant NAME=DSN (AddStoreTenant).
TEST(ConfigTest, StoreTenantsFromFileEnvironmentAndFlags) {
  Config c;
  std::string path = WriteFile(
      "store = \"postgresql://fleetd:pw@db/fleetd\"\n"
      "[store_tenants]\n"
      "acme = \"postgresql://fleetd:pw@db-acme/fleetd\"\n"
      "\"Globex Corp\" = \"postgresql://fleetd:pw@db/fleetd?options=-csearch_path%3Dglobex\"\n");
  Status loaded = LoadConfigFile(path, c);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  ASSERT_TRUE(Finalize(c).ok());
  ASSERT_EQ(c.store_tenants.size(), 2u);
  EXPECT_EQ(c.store_tenants.at("acme"), "postgresql://fleetd:pw@db-acme/fleetd");
  EXPECT_EQ(c.store_tenants.at("Globex Corp"), "postgresql://fleetd:pw@db/fleetd?options=-csearch_path%3Dglobex");

  // The environment replaces the file's map; space-separated, so a DSN may list hosts with commas.
  std::map<std::string, std::string> env{
      {"FLEETD_STORE_TENANTS", " initech=postgresql://u:pw@h1:5432,h2:5432/fleetd\tumbrella=postgres://u@h/u "}};
  ASSERT_TRUE(ApplyEnvironment(c, [&](const char* n) -> const char* {
                auto it = env.find(n);
                return it == env.end() ? nullptr : it->second.c_str();
              }).ok());
  ASSERT_TRUE(Finalize(c).ok());
  EXPECT_EQ(c.store_tenants, (std::map<std::string, std::string>{
                                 {"initech", "postgresql://u:pw@h1:5432,h2:5432/fleetd"},
                                 {"umbrella", "postgres://u@h/u"}}));

  std::map<std::string, std::string> flags;
  ASSERT_TRUE(AddStoreTenant("acme=postgresql://u@h/acme?sslmode=require&a=b", flags).ok());
  EXPECT_EQ(flags.at("acme"), "postgresql://u@h/acme?sslmode=require&a=b") << "split at the first '='";
}

TEST(ConfigTest, RejectsHostileStoreTenants) {
  const std::string shared = "postgresql://fleetd:hunter2@db/fleetd";
  struct Case {
    std::map<std::string, std::string> tenants;
    std::string store;
    const char* says;
  } cases[] = {
      {{{"acme", "mysql://u:hunter2@h/db"}}, shared, "is not a postgresql://"},
      {{{"acme", "sqlite:./acme.db"}}, shared, "is not a postgresql://"},
      {{{"acme", ""}}, shared, "tenant 'acme': the DSN is empty"},
      {{{"", "postgresql://u@h/db"}}, shared, "a tenant name is empty"},
      {{{"acme", "postgresql://u:hunter2@h/db?role=root"}}, shared, "is not writer or api"},
      {{{"acme", "postgresql://u:hunter2@h:99999/db"}}, shared, "port '99999'"},
      {{{"acme", "postgresql://u:hunter2@h/db?nonsense=1"}}, shared, "tenant 'acme'"},
      {{{"acme", "postgresql://u@h/acme"}}, "sqlite:./data/fleetd.db", "needs a postgresql:// store"},
      {{{"acme", "postgresql://u@h/acme"}}, "", "needs a postgresql:// store"},  // the default: SQLite
  };
  for (const auto& k : cases) {
    Config c;
    c.store_url = k.store;
    c.store_tenants = k.tenants;
    Status s = Finalize(c);
    ASSERT_FALSE(s.ok()) << k.says;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(k.says), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << "password leaked: " << s.message();
  }

  std::map<std::string, std::string> tenants;
  ASSERT_TRUE(AddStoreTenant("acme=postgresql://u@h/a", tenants).ok());
  Status twice = AddStoreTenant("acme=postgresql://u@h/b", tenants);
  EXPECT_FALSE(twice.ok());
  EXPECT_NE(twice.message().find("'acme' is given twice"), std::string::npos) << twice.message();
  EXPECT_EQ(tenants.at("acme"), "postgresql://u@h/a") << "the first stays";
  for (const char* bad : {"postgresql://u:hunter2@h/a", "postgresql://u:hunter2@h/a?sslmode=require",
                          "=postgresql://u:hunter2@h/a", "acme=", ""}) {
    Status s = AddStoreTenant(bad, tenants);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
  }

  Config env_twice;
  Status s = ApplyEnvironment(env_twice, [](const char* n) -> const char* {
    return std::string(n) == "FLEETD_STORE_TENANTS" ? "a=postgresql://u@h/1 a=postgresql://u@h/2" : nullptr;
  });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("FLEETD_STORE_TENANTS: store tenant 'a' is given twice"), std::string::npos)
      << s.message();

  Config file;
  for (const char* text : {"store_tenants = \"acme=postgresql://u@h/a\"\n", "[store_tenants]\nacme = 5\n",
                           "[store_tenants]\nacme = \"postgresql://u@h/a\"\nacme = \"postgresql://u@h/b\"\n"}) {
    EXPECT_FALSE(LoadConfigFile(WriteFile(text), file).ok()) << text;
  }
}

}  // namespace
}  // namespace fleetd
