// RedisConnection: one synchronous hiredis connection that survives a Redis
// restart. Commands go out in pipelines (every command appended, then every
// reply read: one round trip for a whole batch).
//
// A broken connection (I/O error, timeout, protocol error) is dropped at once
// — after a timeout the reply stream is out of step and cannot be trusted —
// and the next call reconnects, but not sooner than a backoff (100 ms,
// doubling to 2 s) after a failed attempt, so an outage costs one quick
// error per call instead of a connect timeout per call.
//
// Not thread-safe: the owner serializes calls, except Interrupt().
#pragma once

#include <hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "fleetd/status.h"
#include "live/redis/redis_url.h"

namespace fleetd {

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

// One command as its arguments; binary-safe.
using RedisCommand = std::vector<std::string>;

// "ERR ..." replies, nil and type checks, for the callers' reply parsing.
bool IsError(const redisReply* reply);
bool IsString(const redisReply* reply);
std::string ReplyText(const redisReply* reply);  // str of string/status/error replies, else ""

class RedisConnection {
 public:
  struct Options {
    RedisEndpoint endpoint;
    std::chrono::milliseconds connect_timeout{2000};
    // Per read or write on the socket; 0 = wait forever (the subscriber).
    std::chrono::milliseconds command_timeout{2000};
    // Runs on every new connection after SELECT (loading scripts); a failure
    // drops the connection.
    std::function<Status(RedisConnection&)> on_connect{};
  };

  explicit RedisConnection(Options options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects now if not connected, unless a failed attempt's backoff has not
  // elapsed. kIoError naming the server and the cause otherwise.
  Status EnsureConnected();

  // Sends every command in one write, then reads one reply per command, in
  // order. An error reply ("ERR ...", "NOSCRIPT ...") is a reply: the other
  // commands still ran. kIoError when not connected or on any I/O failure
  // (the connection is then dropped; which commands ran is unknown).
  Result<std::vector<RedisReply>> Pipeline(std::span<const RedisCommand> commands);
  Result<RedisReply> Command(const RedisCommand& command);

  // Blocks for the next reply the server sends (pub/sub messages).
  // kIoError as for Pipeline, and after Interrupt().
  Result<RedisReply> ReadReply();

  // From any thread: makes a blocked or later ReadReply/Pipeline fail and
  // every later connect attempt fail. For shutting down a reader thread.
  void Interrupt();

  bool connected() const { return ctx_ != nullptr; }
  // Successful connects after the first one.
  uint64_t reconnects() const { return reconnects_.load(std::memory_order_relaxed); }
  const RedisEndpoint& endpoint() const { return options_.endpoint; }

 private:
  Status Connect();
  Status Fail(const std::string& what);  // drops the connection, returns kIoError
  void Drop();

  Options options_;
  redisContext* ctx_ = nullptr;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;
  bool connected_once_ = false;
  std::atomic<uint64_t> reconnects_{0};

  std::mutex fd_mu_;  // guards fd_ and interrupted_ against Interrupt()
  int fd_ = -1;
  bool interrupted_ = false;
};

}  // namespace fleetd
