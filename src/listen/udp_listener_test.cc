// The UDP listener with a stand-in datagram protocol ("<uid>:<value>"):
// acknowledged to the sender only once durable, unregistered senders listed
// as pending, a full queue leaves the datagram unacknowledged.
#include "listen/udp_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "holding_queue.h"
#include "store/sqlite/sqlite_store.h"

namespace fleetd {
namespace {

// "<uid>:<speed>" -> one message; the reply is "ack:<uid>".
class ColonDecoder : public Decoder {
 public:
  Status Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                DecodeOutput& out) const override {
    std::string_view text(reinterpret_cast<const char*>(frame.data()), frame.size());
    size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) return Status(StatusCode::kMalformed, "no uid");
    session.device_uid = std::string(text.substr(0, colon));
    Message m;
    m.device_uid = session.device_uid;
    m.protocol = "colon";
    m.ts = 1779359400000;
    m.received_at = received_at;
    m.speed_kmh = std::stod(std::string(text.substr(colon + 1)));
    out.messages.push_back(std::move(m));
    std::string reply = "ack:" + session.device_uid;
    out.reply.assign(reply.begin(), reply.end());
    return Status::Ok();
  }
};

class UdpClient {
 public:
  explicit UdpClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  ~UdpClient() { ::close(fd_); }
  void Send(const std::string& text) { ::send(fd_, text.data(), text.size(), 0); }
  std::string Receive(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return "";
    char buf[512];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  int fd_;
};

class UdpListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*SqliteStore::Open(":memory:"));
    auto tenant = store_->AddTenant("acme");
    ASSERT_TRUE(store_->AddDevice(tenant->id, "dev1", "Truck").ok());
    devices_ = std::make_unique<DeviceDirectory>(*store_);
    protocol_.name = "colon";
    protocol_.make_datagram_decoder = [] { return std::make_unique<ColonDecoder>(); };
    listener_ = std::make_unique<UdpListener>(pool_, protocol_, ListenerDeps{queue_, *devices_, metrics_},
                                              ListenerOptions{});
    ASSERT_TRUE(listener_->Start("127.0.0.1", 0).ok());
    pool_.Start();
  }
  void TearDown() override {
    listener_->Stop();
    pool_.Stop();
  }

  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<DeviceDirectory> devices_;
  ProtocolInfo protocol_;
  test::HoldingQueue queue_;
  Metrics metrics_;
  IoPool pool_{1};
  std::unique_ptr<UdpListener> listener_;
};

TEST_F(UdpListenerTest, AcknowledgesTheSenderOnlyWhenDurable) {
  UdpClient client(listener_->port());
  client.Send("dev1:42.5");
  auto batch = queue_.WaitForBatch(1);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].message.speed_kmh, 42.5);
  EXPECT_EQ(batch[0].tenant_id, store_->FindTenant("acme")->id);
  EXPECT_EQ(client.Receive(200), "") << "acknowledged before durable";
  queue_.Complete(1, Status::Ok());
  EXPECT_EQ(client.Receive(2000), "ack:dev1");
}

TEST_F(UdpListenerTest, UnregisteredSenderIsPendingAndUnanswered) {
  UdpClient client(listener_->port());
  client.Send("stranger:1");
  EXPECT_EQ(client.Receive(300), "");
  auto pending = store_->ListPending();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].uid, "stranger");
  EXPECT_EQ((*pending)[0].protocol, "colon");
}

TEST_F(UdpListenerTest, FullQueueLeavesTheDatagramUnacknowledged) {
  queue_.RefuseNext(1);
  UdpClient client(listener_->port());
  client.Send("dev1:1");
  EXPECT_EQ(client.Receive(300), "");
  EXPECT_EQ(metrics_.CounterValue("fleetd_datagrams_dropped_total", {{"protocol", "colon"}, {"reason", "busy"}}), 1);
  client.Send("dev1:2");  // the device's resend
  ASSERT_EQ(queue_.WaitForBatch(1).size(), 1u);
  queue_.Complete(1, Status::Ok());
  EXPECT_EQ(client.Receive(2000), "ack:dev1");
}

TEST_F(UdpListenerTest, MalformedDatagramIsCounted) {
  UdpClient client(listener_->port());
  client.Send("no-colon-here");
  client.Send("dev1:3");
  ASSERT_EQ(queue_.WaitForBatch(1).size(), 1u);  // the good one after the bad one
  EXPECT_EQ(metrics_.CounterValue("fleetd_frames_rejected_total", {{"protocol", "colon"}, {"reason", "malformed"}}), 1);
}

}  // namespace
}  // namespace fleetd
