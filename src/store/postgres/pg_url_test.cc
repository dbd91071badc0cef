// Store URL checks and password redaction, without a server.
#include "store/postgres/pg_url.h"

#include <gtest/gtest.h>

namespace fleetd::pg {
namespace {

TEST(PgUrlTest, AcceptsBothSchemesAndTheUsualParts) {
  for (const char* url : {"postgresql://fleetd:secret@127.0.0.1:5432/fleetd", "postgres://fleetd@db.example/fleetd",
                          "postgresql://fleetd:p%40ss@[::1]:6543/fleetd?connect_timeout=3&sslmode=disable",
                          "postgresql://a@h1:5432,h2:5433/db", "postgresql:///fleetd"}) {
    EXPECT_TRUE(ValidateUrl(url).ok()) << url << ": " << ValidateUrl(url).ToString();
    EXPECT_TRUE(IsPostgresUrl(url)) << url;
  }
}

TEST(PgUrlTest, RejectsOtherSchemes) {
  for (const char* url : {"mysql://u:p@h/db", "postgresql:/h/db", "host=localhost dbname=x", "", "sqlite:x.db"}) {
    Status s = ValidateUrl(url);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(s.message().find("expected postgresql://"), std::string::npos) << s.message();
  }
}

TEST(PgUrlTest, BadPortsAreNamed) {
  for (const char* port : {"abc", "0", "65536", "99999", "-1", "54x", "1e3"}) {
    std::string url = std::string("postgresql://u:hunter2@127.0.0.1:") + port + "/db";
    Status s = ValidateUrl(url);
    ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(s.message().find("port"), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << "password leaked: " << s.message();
  }
  EXPECT_EQ(ValidateUrl("postgresql://u@h1:5432,h2:0/db").code(), StatusCode::kInvalidArgument);
}

TEST(PgUrlTest, WhatLibpqRejectsIsInvalidArgument) {
  for (const char* url :
       {"postgresql://u:hunter2@host/db?no_such_option=1", "postgresql://u:hunter2@[::1/db",
        "postgresql://u:hunter2@host/db?connect_timeout=soon", "postgresql://u:hunter2@host/db?connect_timeout=-3",
        "postgresql://u:hunter2@host/db?connect_timeout=0", "postgresql://u:hunter2@host/%zz"}) {
    Status s = ValidateUrl(url);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(s.message().find("store URL"), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << "password leaked: " << s.message();
  }
}

TEST(PgUrlTest, RedactsThePasswordOnly) {
  EXPECT_EQ(RedactUrl("postgresql://fleetd:s3cr3t@h:5432/db"), "postgresql://fleetd:***@h:5432/db");
  EXPECT_EQ(RedactUrl("postgresql://fleetd@h:5432/db"), "postgresql://fleetd@h:5432/db");
  EXPECT_EQ(RedactUrl("postgresql://h:5432/db"), "postgresql://h:5432/db");
  EXPECT_EQ(RedactUrl("postgres://u:a:b@h/db"), "postgres://u:***@h/db");
  EXPECT_EQ(RedactUrl("postgresql://u@h/db?password=x&sslmode=require"),
            "postgresql://u@h/db?password=***&sslmode=require");
  EXPECT_EQ(RedactUrl("postgresql://u@h/db?sslmode=require&password=x"),
            "postgresql://u@h/db?sslmode=require&password=***");
  EXPECT_EQ(RedactUrl("postgresql://u:p@h/db?password=x"), "postgresql://u:***@h/db?password=***");
}

TEST(PgUrlTest, FleetdParametersAreSplitOffTheLibpqUrl) {
  auto plain = ParseStoreUrl("postgresql://u:p@h/db?sslmode=require");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->libpq_url, "postgresql://u:p@h/db?sslmode=require");
  EXPECT_FALSE(plain->role);
  EXPECT_FALSE(plain->migrate);
  auto both = ParseStoreUrl("postgresql://u:p@h/db?role=api&sslmode=require&migrate=false");
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(both->libpq_url, "postgresql://u:p@h/db?sslmode=require");
  EXPECT_EQ(both->role, StoreRole::kApi);
  EXPECT_EQ(both->migrate, false);
  auto only = ParseStoreUrl("postgres://u@h/db?migrate=true&role=writer");
  ASSERT_TRUE(only.ok()) << only.status().ToString();
  EXPECT_EQ(only->libpq_url, "postgres://u@h/db");
  EXPECT_EQ(only->role, StoreRole::kWriter);
  EXPECT_EQ(only->migrate, true);
}

TEST(PgUrlTest, HostileFleetdParametersAreRefused) {
  for (const char* query :
       {"role=", "role", "role=API", "role=api ", "role=admin", "role=superuser", "role=api&role=api",
        "role=writer&role=api", "role=api%00", "role=%61pi", "role=api;DROP TABLE users", "r%6fle=api", "migrate=",
        "migrate", "migrate=yes", "migrate=1", "migrate=TRUE", "migrate=true&migrate=true", "migrate=true&x=1",
        "role=api&password=hunter2&role=writer"}) {
    const std::string url = std::string("postgresql://u:hunter2@h/db?") + query;
    auto parsed = ParseStoreUrl(url);
    ASSERT_FALSE(parsed.ok()) << query;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << query;
    EXPECT_NE(parsed.status().message().find("store URL"), std::string::npos) << parsed.status().message();
    EXPECT_EQ(parsed.status().message().find("hunter2"), std::string::npos) << parsed.status().message();
  }
  EXPECT_EQ(ParseStoreUrl("mysql://u@h/db?role=api").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fleetd::pg
