// hiredis, blocking mode: redisAppendCommandArgv queues, redisGetReply
// flushes the queue and reads, so N appends + N reads are one pipeline.
#include "live/redis/redis_connection.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>

namespace fleetd {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::string Name(const RedisEndpoint& e) {
  bool v6 = e.host.find(':') != std::string::npos;
  return (v6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
}

}  // namespace

bool IsError(const redisReply* reply) { return reply != nullptr && reply->type == REDIS_REPLY_ERROR; }
bool IsString(const redisReply* reply) { return reply != nullptr && reply->type == REDIS_REPLY_STRING; }
std::string ReplyText(const redisReply* reply) {
  if (reply == nullptr || reply->str == nullptr) return "";
  if (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS && reply->type != REDIS_REPLY_ERROR) {
    return "";
  }
  return std::string(reply->str, reply->len);
}

RedisConnection::RedisConnection(Options options) : options_(std::move(options)) {}

RedisConnection::~RedisConnection() { Drop(); }

void RedisConnection::Drop() {
  if (ctx_ == nullptr) return;
  {
    std::lock_guard lock(fd_mu_);
    fd_ = -1;
  }
  redisFree(ctx_);
  ctx_ = nullptr;
}

Status RedisConnection::Fail(const std::string& what) {
  std::string cause = ctx_ != nullptr && ctx_->err != 0 ? std::string(ctx_->errstr) : what;
  Drop();
  last_error_ = cause;
  return Status(StatusCode::kIoError, "redis " + Name(options_.endpoint) + ": " + cause);
}

void RedisConnection::Interrupt() {
  std::lock_guard lock(fd_mu_);
  interrupted_ = true;
  if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);  // wakes a blocked read with EOF
}

Status RedisConnection::EnsureConnected() {
  if (ctx_ != nullptr) return Status::Ok();
  auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) {
    return Status(
        StatusCode::kIoError,
        "redis " + Name(options_.endpoint) + " is unreachable (" + last_error_ + "); next attempt in " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now).count()) + " ms");
  }
  Status s = Connect();
  if (s.ok()) {
    backoff_ = std::chrono::milliseconds(0);
    next_attempt_ = {};
    if (connected_once_) reconnects_.fetch_add(1, std::memory_order_relaxed);
    connected_once_ = true;
  } else {
    backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
  }
  return s;
}

Status RedisConnection::Connect() {
  const RedisEndpoint& e = options_.endpoint;
  ctx_ = redisConnectWithTimeout(e.host.c_str(), e.port, ToTimeval(options_.connect_timeout));
  if (ctx_ == nullptr) {
    last_error_ = "out of memory";
    return Status(StatusCode::kIoError, "cannot connect to redis " + Name(e) + ": out of memory");
  }
  if (ctx_->err != 0) {
    std::string cause = ctx_->errstr;
    Drop();
    last_error_ = cause;
    return Status(StatusCode::kIoError, "cannot connect to redis " + Name(e) + ": " + cause);
  }
  {
    std::lock_guard lock(fd_mu_);
    if (interrupted_) {
      fd_ = -1;
    } else {
      fd_ = ctx_->fd;
    }
  }
  if (fd_ < 0) return Fail("interrupted");
  if (options_.command_timeout.count() > 0 && redisSetTimeout(ctx_, ToTimeval(options_.command_timeout)) != REDIS_OK) {
    return Fail("cannot set the socket timeout");
  }
  redisEnableKeepAlive(ctx_);  // notices a peer that vanished without a FIN
  if (e.db != 0) {
    auto r = Command({"SELECT", std::to_string(e.db)});
    if (!r.ok()) return r.status();
    if (IsError(r->get())) {
      std::string why = ReplyText(r->get());
      Drop();
      last_error_ = why;
      return Status(StatusCode::kInvalidArgument,
                    "redis " + Name(e) + " refused SELECT " + std::to_string(e.db) + ": " + why);
    }
  }
  if (options_.on_connect) {
    Status s = options_.on_connect(*this);
    if (!s.ok()) {
      Drop();
      last_error_ = s.message();
      return s;
    }
  }
  return Status::Ok();
}

Result<std::vector<RedisReply>> RedisConnection::Pipeline(std::span<const RedisCommand> commands) {
  if (Status s = EnsureConnected(); !s.ok()) return s;
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const RedisCommand& command : commands) {
    argv.clear();
    lengths.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) {
      return Fail("cannot queue a command");
    }
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(ctx_, &reply) != REDIS_OK || reply == nullptr) return Fail("connection lost");
    replies.emplace_back(static_cast<redisReply*>(reply));
  }
  return replies;
}

Result<RedisReply> RedisConnection::Command(const RedisCommand& command) {
  auto replies = Pipeline(std::span<const RedisCommand>(&command, 1));
  if (!replies.ok()) return replies.status();
  return std::move((*replies)[0]);
}

Result<RedisReply> RedisConnection::ReadReply() {
  if (ctx_ == nullptr) return Status(StatusCode::kIoError, "redis " + Name(options_.endpoint) + ": not connected");
  void* reply = nullptr;
  if (redisGetReply(ctx_, &reply) != REDIS_OK || reply == nullptr) return Fail("connection lost");
  return RedisReply(static_cast<redisReply*>(reply));
}

}  // namespace fleetd
