#include "listen/mqtt/broker_url.h"

#include <gtest/gtest.h>

namespace fleetd::mqtt {
namespace {

TEST(BrokerUrl, PlainTlsUserPasswordAndDefaults) {
  auto a = ParseBrokerUrl("mqtt://broker.example:1884");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "broker.example");
  EXPECT_EQ(a->port, 1884);
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->connect.username, "");
  auto b = ParseBrokerUrl("mqtts://fleetd:p%40ss%3Aw0rd@10.0.0.5");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, 8883);
  EXPECT_EQ(b->connect.username, "fleetd");
  EXPECT_EQ(b->connect.password, "p@ss:w0rd");
  auto c = ParseBrokerUrl("mqtt://[::1]:1883/");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(ParseBrokerUrl("mqtt://h")->port, 1883);
}

TEST(BrokerUrl, HostileUrlsSayWhatIsWrong) {
  struct Case {
    const char* url;
    const char* why;
  } cases[] = {
      {"http://h:1883", "must start with mqtt://"},
      {"mqtt://", "no host"},
      {"mqtt://h:0", "port out of range"},
      {"mqtt://h:65536", "port out of range"},
      {"mqtt://h:12a", "bad port"},
      {"mqtt://h:", "bad port"},
      {"mqtt://h:1883?client_id=x", "query strings"},
      {"mqtt://h/topic", "a path is not accepted"},
      {"mqtt://u:%zz@h", "percent-encoding in password"},
      {"mqtt://%4@h", "percent-encoding in user"},
      {"mqtt://u:pw%0A@h", "percent-encoding in password"},
      {"mqtt://:pw@h", "empty user name"},
      {"mqtt://h o st", "bad character in host"},
      {"mqtt://[::1", "unclosed ["},
  };
  for (const auto& c : cases) {
    auto r = ParseBrokerUrl(c.url);
    ASSERT_FALSE(r.ok()) << c.url;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(r.status().message().find(c.why), std::string::npos) << c.url << " -> " << r.status().message();
  }
}

}  // namespace
}  // namespace fleetd::mqtt
