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

}  // namespace fleetd::pgtest
