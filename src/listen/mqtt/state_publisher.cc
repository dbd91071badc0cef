#include "listen/mqtt/state_publisher.h"

#include <boost/asio/post.hpp>

#include "core/message_json.h"

namespace fleetd {

StatePublisher::StatePublisher(boost::asio::io_context& io, std::shared_ptr<mqtt::Client> client, LiveState& live,
                               std::string topic_root, std::chrono::milliseconds interval)
    : io_(io),
      client_(std::move(client)),
      live_(live),
      topic_root_(std::move(topic_root)),
      interval_(interval),
      timer_(io),
      alive_(std::make_shared<bool>(true)) {}

StatePublisher::~StatePublisher() { Stop(); }

void StatePublisher::Start() {
  subscription_ = live_.Subscribe([this](const Envelope& e) {
    if (!e.message.has_position()) return;
    std::lock_guard lock(mu_);
    auto [it, inserted] = latest_.try_emplace(e.message.device_uid, e.message);
    if (!inserted && e.message.ts.value_or(0) >= it->second.ts.value_or(0)) it->second = e.message;
  });
  boost::asio::post(io_, [this, alive = alive_] {
    if (*alive) Arm();
  });
}

void StatePublisher::Stop() {
  if (!*alive_) return;
  *alive_ = false;
  if (subscription_) live_.Unsubscribe(subscription_);
  subscription_ = 0;
  boost::asio::post(io_, [this, alive = alive_] { timer_.cancel(); });
}

void StatePublisher::Arm() {
  timer_.expires_after(interval_);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    Flush();
    Arm();
  });
}

void StatePublisher::Flush() {
  std::unordered_map<std::string, Message> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(latest_);
  }
  if (!client_->connected()) return;  // the next update after reconnecting republishes
  for (auto& [uid, message] : batch) {
    (void)client_->PublishMessage(topic_root_ + "/" + uid + "/state", MessageToJsonText(message), 0, true);
  }
}

}  // namespace fleetd
