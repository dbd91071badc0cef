// The tenant -> DSN map's checks and grouping, without a server.
#include "store/postgres/tenant_dsn_map.h"

#include <gtest/gtest.h>

namespace fleetd::pg {
namespace {

constexpr const char* kShared = "postgresql://fleetd:pw@db/fleetd";

TEST(TenantDsnMapTest, GroupsByDistinctUrlAndLeavesTheSharedUrlShared) {
  const std::string own = "postgresql://fleetd:pw@db-acme/fleetd";
  const std::string schema = std::string(kShared) + "?options=-csearch_path%3Dglobex";
  auto groups = GroupTenantDsns(kShared, {{"zeta", own}, {"acme", own}, {"globex", schema}, {"initech", kShared}});
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].url, own);
  EXPECT_EQ((*groups)[0].tenants, (std::vector<std::string>{"acme", "zeta"}));
  EXPECT_EQ((*groups)[1].url, schema);
  EXPECT_EQ((*groups)[1].tenants, (std::vector<std::string>{"globex"}));
  auto none = GroupTenantDsns("sqlite:./x.db", {});
  ASSERT_TRUE(none.ok()) << "no map: nothing to check";
  EXPECT_TRUE(none->empty());
}

TEST(TenantDsnMapTest, HostileEntriesNameTheTenantNotThePassword) {
  struct Case {
    std::string tenant, url, says;
  };
  for (const Case& c : std::vector<Case>{{"acme", "", "tenant 'acme': the DSN is empty"},
                                         {"", kShared, "a tenant name is empty"},
                                         {"acme", "mysql://u:hunter2@h/db", "is not a postgresql://"},
                                         {"acme", "postgresql://u:hunter2@h/db?role=god", "is not writer or api"},
                                         {"acme", "postgresql://u:hunter2@h/db?migrate=yes", "is not true or false"},
                                         {"acme", "postgresql://u:hunter2@h:0/db", "port '0'"},
                                         {"acme", "postgresql://u:hunter2@h/db?nope=1", "tenant 'acme': store URL"}}) {
    Status s = ValidateTenantDsn(c.tenant, c.url);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.says;
    EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
    auto groups = GroupTenantDsns(kShared, {{c.tenant, c.url}});
    EXPECT_FALSE(groups.ok()) << c.says;
  }
  auto sqlite = GroupTenantDsns("sqlite:./x.db", {{"acme", "postgresql://u@h/db"}});
  ASSERT_FALSE(sqlite.ok());
  EXPECT_NE(sqlite.status().message().find("must be postgresql:// too"), std::string::npos);
}

}  // namespace
}  // namespace fleetd::pg
