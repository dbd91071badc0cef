// The subscriber loop: connect, SUBSCRIBE, read pushed messages until the
// connection breaks or the destructor interrupts it, repeat.
#include "live/redis/redis_subscriber.h"

namespace fleetd {
namespace {

constexpr std::chrono::milliseconds kRetryPoll{50};

RedisConnection::Options WithoutTimeout(RedisConnection::Options options) {
  options.command_timeout = std::chrono::milliseconds(0);
  options.on_connect = nullptr;
  return options;
}

bool ElementIs(const redisReply* reply, size_t i, std::string_view text) {
  return reply->elements > i && IsString(reply->element[i]) && ReplyText(reply->element[i]) == text;
}

}  // namespace

RedisSubscriber::RedisSubscriber(RedisConnection::Options options, std::string channel, Handler handler)
    : conn_(WithoutTimeout(std::move(options))),
      channel_(std::move(channel)),
      handler_(std::move(handler)),
      thread_([this] { Run(); }) {}

RedisSubscriber::~RedisSubscriber() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  conn_.Interrupt();
  thread_.join();
}

bool RedisSubscriber::WaitSubscribed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return subscribed_.load() || stop_; }) && subscribed_.load();
}

std::string RedisSubscriber::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void RedisSubscriber::Run() {
  bool subscribed_once = false;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    Status s = conn_.EnsureConnected();
    if (s.ok()) {
      auto reply = conn_.Command({"SUBSCRIBE", channel_});
      if (!reply.ok()) {
        s = reply.status();
      } else if ((*reply)->type != REDIS_REPLY_ARRAY || !ElementIs(reply->get(), 0, "subscribe")) {
        s = Status(StatusCode::kIoError, "SUBSCRIBE failed: " + ReplyText(reply->get()));
      }
    }
    if (!s.ok()) {
      std::unique_lock lock(mu_);
      last_error_ = s.message();
      cv_.wait_for(lock, kRetryPoll, [this] { return stop_; });
      continue;
    }
    if (subscribed_once) resubscribes_.fetch_add(1, std::memory_order_relaxed);
    subscribed_once = true;
    {
      std::lock_guard lock(mu_);
      subscribed_ = true;
    }
    cv_.notify_all();
    ReadMessages();
    subscribed_ = false;
  }
}

void RedisSubscriber::ReadMessages() {
  for (;;) {
    auto reply = conn_.ReadReply();
    if (!reply.ok()) {
      std::lock_guard lock(mu_);
      last_error_ = reply.status().message();
      return;
    }
    const redisReply* r = reply->get();
    // ["message", channel, payload]; other pushes (subscribe confirmations) are ignored.
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && ElementIs(r, 0, "message") && IsString(r->element[2])) {
      handler_(std::string_view(r->element[2]->str, r->element[2]->len));
    }
  }
}

}  // namespace fleetd
