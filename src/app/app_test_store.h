// The store the app commands' tests start from: SQLite in a fresh temporary
// directory, holding tenant "acme" and the given devices.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/adapters.h"
#include "fleetd/store.h"
#include "servers/server_process.h"

namespace fleetd::testing {

struct TestStore {
  std::string dir;  // removed with the store
  std::string url;  // "sqlite:<dir>/fleetd.db", for a Config or the CLI
  std::unique_ptr<Store> store;
  int64_t tenant_id = 0;
  std::vector<Device> devices;  // in the order given

  TestStore() = default;
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;
  ~TestStore() {
    store.reset();
    if (!dir.empty()) test::RemoveTree(dir);
  }

  // Fills this (empty) object; a failure says which step failed.
  Status Open(const std::string& prefix, const std::vector<std::string>& uids) {
    dir = test::MakeTempDir(prefix);
    url = "sqlite:" + dir + "/fleetd.db";
    auto opened = OpenStore(url);
    if (!opened.ok()) return opened.status();
    store = std::move(*opened);
    auto tenant = store->AddTenant("acme");
    if (!tenant.ok()) return tenant.status();
    tenant_id = tenant->id;
    for (const std::string& uid : uids) {
      auto d = store->AddDevice(tenant_id, uid, uid);
      if (!d.ok()) return d.status();
      devices.push_back(*d);
    }
    return Status::Ok();
  }
};

}  // namespace fleetd::testing
