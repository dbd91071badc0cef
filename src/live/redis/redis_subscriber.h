// RedisSubscriber: a dedicated connection and thread that SUBSCRIBEs to one
// pub/sub channel and hands every message to a callback. A connection in
// subscribe mode can issue no other commands, hence its own connection.
//
// When the connection breaks it reconnects (with RedisConnection's backoff)
// and subscribes again. Redis pub/sub is fire-and-forget: what is published
// while this subscriber is disconnected is not delivered to it, ever.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "live/redis/redis_connection.h"

namespace fleetd {

class RedisSubscriber {
 public:
  // Runs on the subscriber thread, one call at a time, in publish order.
  using Handler = std::function<void(std::string_view payload)>;

  // Starts the thread; it connects and subscribes in the background.
  // `options.command_timeout` is ignored (a subscriber waits indefinitely).
  RedisSubscriber(RedisConnection::Options options, std::string channel, Handler handler);
  // Stops and joins the thread; no handler call runs after it returns.
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  // True once the server has confirmed the subscription (within `timeout`).
  // After a reconnect, true again once it has re-subscribed.
  bool WaitSubscribed(std::chrono::milliseconds timeout);
  bool subscribed() const { return subscribed_.load(); }
  // The last connect or subscribe failure, for error messages.
  std::string last_error() const;
  // Times it subscribed after the first time.
  uint64_t resubscribes() const { return resubscribes_.load(std::memory_order_relaxed); }

 private:
  void Run();
  void ReadMessages();

  RedisConnection conn_;
  const std::string channel_;
  const Handler handler_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::string last_error_;
  std::atomic<bool> subscribed_{false};
  std::atomic<uint64_t> resubscribes_{0};
  std::thread thread_;  // last: started after everything it uses
};

}  // namespace fleetd
