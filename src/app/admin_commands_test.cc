// `fleetd device remove` with a shared live state: the device's last
// position leaves Redis too (it stayed there for good before), and a live
// state that cannot be reached leaves the removal done, with a warning.
#include "app/admin_commands.h"

#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "app/adapters.h"
#include "app/app_test_store.h"
#include "live/redis/redis_test_server.h"
#include "servers/server_process.h"

namespace fleetd {
namespace {

class DeviceRemoveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status opened = db_.Open("fleetd-admin-", {"359710040000001", "359710040000002"});
    ASSERT_TRUE(opened.ok()) << opened.ToString();
    config_.store_url = db_.url;
  }

  Envelope Located(const std::string& uid) const {
    Envelope e;
    e.tenant_id = db_.tenant_id;
    e.message.device_uid = uid;
    e.message.protocol = "gt06";
    e.message.ts = 1'700'000'000'000;
    e.message.lat = 52.52;
    e.message.lng = 13.40;
    return e;
  }

  testing::TestStore db_;
  Config config_;
};

TEST_F(DeviceRemoveTest, ForgetsTheDeviceInASharedLiveState) {
  std::string error;
  auto redis = testing::RedisTestServer::Start(&error);
  ASSERT_NE(redis, nullptr) << error;
  auto live = OpenLiveState(redis->url());
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  std::vector<Envelope> batch = {Located("359710040000001"), Located("359710040000002")};
  (*live)->Update(batch);

  config_.live_url = redis->url();
  std::ostringstream out, err;
  EXPECT_EQ(DeviceRemove(*db_.store, config_, "359710040000001", out, err), 0) << err.str();
  EXPECT_NE(out.str().find("\"live_forgotten\":true"), std::string::npos) << out.str();
  EXPECT_EQ(err.str(), "");
  EXPECT_FALSE(db_.store->FindDeviceByUid("359710040000001").ok());
  EXPECT_FALSE((*live)->Get(db_.tenant_id, "359710040000001").has_value());
  EXPECT_TRUE((*live)->Get(db_.tenant_id, "359710040000002").has_value()) << "only the removed device is forgotten";
  EXPECT_EQ((*live)->Snapshot(db_.tenant_id).size(), 1u);
}

TEST_F(DeviceRemoveTest, AnUnreachableLiveStateLeavesTheRemovalDoneWithAWarning) {
  config_.live_url = "redis://127.0.0.1:" + std::to_string(test::PickFreePort());  // nothing listens
  std::ostringstream out, err;
  EXPECT_EQ(DeviceRemove(*db_.store, config_, "359710040000002", out, err), 0) << err.str();
  EXPECT_NE(out.str().find("\"removed\":true"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("\"live_forgotten\":false"), std::string::npos) << out.str();
  EXPECT_NE(err.str().find("warning: the device is removed, but its live position is not"), std::string::npos)
      << err.str();
  EXPECT_FALSE(db_.store->FindDeviceByUid("359710040000002").ok());
}

TEST_F(DeviceRemoveTest, AnEmbeddedLiveStateIsNotOpened) {
  config_.live_url = "memory:";
  std::ostringstream out, err;
  EXPECT_EQ(DeviceRemove(*db_.store, config_, "359710040000002", out, err), 0) << err.str();
  EXPECT_EQ(out.str().find("live_forgotten"), std::string::npos) << out.str();
  // An unknown uid is still an error, nothing removed.
  std::ostringstream out2, err2;
  EXPECT_NE(DeviceRemove(*db_.store, config_, "no-such-device", out2, err2), 0);
  EXPECT_NE(err2.str(), "");
}

}  // namespace
}  // namespace fleetd
