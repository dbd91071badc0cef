// The PgTestCluster a test binary shares: registered once as a gtest global
// environment (pg_test_environment.cc), started before the first test and
// stopped after the last. If it cannot start, every test fails.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/postgres/pg_test_cluster.h"
#include "store/postgres/postgres_store.h"

namespace fleetd::pgtest {

// The running cluster; null only if the environment failed to start it.
PgTestCluster* Cluster();

// A fresh database and a store opened (and migrated) on it as the
// superuser; dropping the last reference closes the store and drops the
// database. Null (with a gtest failure recorded) on error. `url`, if given,
// receives the database's superuser URL.
std::shared_ptr<PostgresStore> OpenFreshStore(PostgresStoreOptions options = {}, std::string* url = nullptr);

// What a DBA runs once per cluster so that an ordinary owner login needs no
// CREATEROLE: the group role fleetd_api, unless it exists already. SQL to
// put in front of a suite's own CREATE ROLE statements.
inline constexpr char kCreateApiGroupRole[] =
    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fleetd_api') THEN"
    " CREATE ROLE fleetd_api NOLOGIN; END IF; END $$;";

// As OpenFreshStore, but the database is owned by the login `owner` (an
// ordinary role, as in production) and the store opened (and migrated) on
// it as that login. `database`, if given, receives the database's name.
std::shared_ptr<PostgresStore> OpenOwnedStore(const std::string& owner, const std::string& password,
                                              std::string* database = nullptr);

}  // namespace fleetd::pgtest
