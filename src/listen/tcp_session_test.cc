// Device sessions against a queue the test controls: acknowledgements leave
// only after the batch is durable, never after a failed write; a full queue
// pauses the connection instead of dropping data; idle connections close.
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "listen/io_pool.h"
#include "listen/tcp_listener.h"
#include "protocol/gt06/gt06_encoder.h"
#include "store/sqlite/sqlite_store.h"
#include "holding_queue.h"
#include "test_client.h"

namespace fleetd {
namespace {

constexpr const char* kImei = "359710040000123";

class TcpSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*SqliteStore::Open(":memory:"));
    auto tenant = store_->AddTenant("acme");
    ASSERT_TRUE(store_->AddDevice(tenant->id, kImei, "Truck").ok());
    devices_ = std::make_unique<DeviceDirectory>(*store_);
    RegisterBuiltinProtocols(protocols_);
  }
  void Start(ListenerOptions options = {}) {
    listener_ = std::make_unique<TcpListener>(pool_, *protocols_.Find("gt06"),
                                              ListenerDeps{queue_, *devices_, metrics_}, options);
    ASSERT_TRUE(listener_->Start("127.0.0.1", 0).ok());
    pool_.Start();
  }
  void TearDown() override {
    if (listener_) listener_->Stop();
    pool_.Stop();
    listener_.reset();
  }
  // Logs in and makes the login durable; returns the connected client.
  std::unique_ptr<test::DeviceClient> LoggedIn() {
    auto client = std::make_unique<test::DeviceClient>(listener_->port());
    client->Send(gt06::EncodeLogin(kImei, 1));
    EXPECT_EQ(queue_.WaitForBatch(1).size(), 1u);
    queue_.Complete(1, Status::Ok());
    EXPECT_EQ(client->Read(10), gt06::EncodeReply(0x01, 1));
    return client;
  }

  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<DeviceDirectory> devices_;
  ProtocolRegistry protocols_;
  test::HoldingQueue queue_;
  Metrics metrics_;
  IoPool pool_{1};
  std::unique_ptr<TcpListener> listener_;
};

TEST_F(TcpSessionTest, AcknowledgesOnlyAfterTheBatchIsDurable) {
  Start();
  test::DeviceClient client(listener_->port());
  client.Send(gt06::EncodeLogin(kImei, 7));
  auto batch = queue_.WaitForBatch(1);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].message.device_uid, kImei);
  EXPECT_EQ(batch[0].message.kind, MessageKind::kLogin);
  EXPECT_TRUE(client.Read(10, std::chrono::milliseconds(300)).empty()) << "acknowledged before durable";
  queue_.Complete(1, Status::Ok());
  EXPECT_EQ(client.Read(10), gt06::EncodeReply(0x01, 7));
}

TEST_F(TcpSessionTest, FailedWriteIsNeverAcknowledged) {
  Start();
  auto client = LoggedIn();
  client->Send(gt06::EncodeHeartbeat(true, 5, 4, 2));
  ASSERT_EQ(queue_.WaitForBatch(2).size(), 1u);
  queue_.Complete(2, Status(StatusCode::kIoError, "disk full"));
  // The device resends; this time the write holds.
  client->Send(gt06::EncodeHeartbeat(true, 5, 4, 3));
  ASSERT_EQ(queue_.WaitForBatch(3).size(), 1u);
  queue_.Complete(3, Status::Ok());
  EXPECT_EQ(client->Read(10), gt06::EncodeReply(0x13, 3));  // only the durable one
  EXPECT_EQ(metrics_.CounterValue("fleetd_durable_failures_total", {{"protocol", "gt06"}}), 1);
}

TEST_F(TcpSessionTest, RepliesKeepArrivalOrderWhenDurabilityDoesNot) {
  Start();
  auto client = LoggedIn();
  client->Send(gt06::EncodeHeartbeat(true, 5, 4, 2));
  ASSERT_EQ(queue_.WaitForBatch(2).size(), 1u);
  client->Send(gt06::EncodeHeartbeat(true, 5, 4, 3));
  ASSERT_EQ(queue_.WaitForBatch(3).size(), 1u);
  queue_.Complete(3, Status::Ok());
  EXPECT_TRUE(client->Read(10, std::chrono::milliseconds(200)).empty());
  queue_.Complete(2, Status::Ok());
  auto replies = client->Read(20);
  auto first = gt06::EncodeReply(0x13, 2), second = gt06::EncodeReply(0x13, 3);
  first.insert(first.end(), second.begin(), second.end());
  EXPECT_EQ(replies, first);
}

TEST_F(TcpSessionTest, FullQueuePausesTheConnectionAndLosesNothing) {
  Start();
  auto client = LoggedIn();
  queue_.RefuseNext(3);
  client->Send(gt06::EncodeHeartbeat(false, 4, 3, 9));
  auto batch = queue_.WaitForBatch(2);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].message.ignition, false);
  queue_.Complete(2, Status::Ok());
  EXPECT_EQ(client->Read(10), gt06::EncodeReply(0x13, 9));
  EXPECT_EQ(metrics_.CounterValue("fleetd_backpressure_waits_total", {{"protocol", "gt06"}}), 3);
}

TEST_F(TcpSessionTest, IdleConnectionIsClosed) {
  ListenerOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  Start(options);
  test::DeviceClient client(listener_->port());
  EXPECT_TRUE(client.ClosedByPeer(std::chrono::seconds(4)));
  EXPECT_EQ(metrics_.CounterValue("fleetd_idle_timeouts_total", {{"protocol", "gt06"}}), 1);
}

TEST_F(TcpSessionTest, TrafficKeepsTheConnectionOpenUntilItStops) {
  ListenerOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  Start(options);
  auto client = LoggedIn();
  // 3 s of heartbeats every 400 ms: never idle for a whole second.
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    client->Send(gt06::EncodeHeartbeat(false, 4, 3, static_cast<uint16_t>(10 + i)));
    auto batch = queue_.WaitForBatch(static_cast<size_t>(2 + i));
    ASSERT_EQ(batch.size(), 1u) << i;
    queue_.Complete(static_cast<size_t>(2 + i), Status::Ok());
    ASSERT_EQ(client->Read(10), gt06::EncodeReply(0x13, static_cast<uint16_t>(10 + i))) << i;
  }
  EXPECT_EQ(metrics_.CounterValue("fleetd_idle_timeouts_total", {{"protocol", "gt06"}}), 0);
  const auto quiet_since = std::chrono::steady_clock::now();
  EXPECT_TRUE(client->ClosedByPeer(std::chrono::seconds(4)));
  EXPECT_GE(std::chrono::steady_clock::now() - quiet_since, std::chrono::milliseconds(900));
  EXPECT_EQ(metrics_.CounterValue("fleetd_idle_timeouts_total", {{"protocol", "gt06"}}), 1);
}

TEST_F(TcpSessionTest, PositionBeforeLoginIsRejectedAndCounted) {
  Start();
  test::DeviceClient client(listener_->port());
  gt06::PositionFix fix;
  fix.time_ms = 1779359400000;
  fix.lat = 1;
  fix.lng = 2;
  client.Send(gt06::EncodePosition(fix, 1));
  for (int i = 0; i < 100 && metrics_.CounterTotal("fleetd_frames_rejected_total") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(metrics_.CounterValue("fleetd_frames_rejected_total", {{"protocol", "gt06"}, {"reason", "no_session"}}), 1);
}

}  // namespace
}  // namespace fleetd
