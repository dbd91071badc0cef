// RedisLiveState: opening, the newer-wins write pipeline and the live feed.
// The read side (Get, Snapshot, Near) is in redis_live_state_read.cc.
#include "live/redis/redis_live_state.h"

#include <signal.h>

#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <random>
#include <unordered_map>

#include "core/message_json.h"
#include "live/redis/live_feed_codec.h"

namespace fleetd {
namespace {

// Applies up to kMessagesPerScript located messages of one tenant, in order.
// KEYS[1]: devices set, KEYS[2]: GEO index, KEYS[2 + i]: message i's device
// hash. ARGV[5(i - 1) + 1 ..]: fix_ms, json, lng, lat, uid of message i; an
// empty lng keeps the device out of the GEO index (a position Redis GEO cannot
// hold). A message older than the held fix is skipped; returns how many were
// written. Runs atomically: no other client's command interleaves.
constexpr char kUpdateScript[] = R"lua(
local written = 0
for i = 1, #KEYS - 2 do
  local a = (i - 1) * 5
  local key = KEYS[i + 2]
  local held = tonumber(redis.call('HGET', key, 'fix_ms'))
  if not held or held <= tonumber(ARGV[a + 1]) then
    redis.call('HSET', key, 'fix_ms', ARGV[a + 1], 'json', ARGV[a + 2])
    redis.call('SADD', KEYS[1], ARGV[a + 5])
    if ARGV[a + 3] ~= '' then
      redis.call('GEOADD', KEYS[2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5])
    else
      redis.call('ZREM', KEYS[2], ARGV[a + 5])
    end
    written = written + 1
  end
end
return written
)lua";

// Messages per script call: Redis runs nothing else while a script runs, so
// this bounds the pause a batch causes other clients (~1 ms).
constexpr size_t kMessagesPerScript = 128;

bool ValidPrefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > 64) return false;
  for (char c : prefix) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
              c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string RandomOrigin() {
  std::random_device rd;
  char buf[33];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
  return buf;
}

// Shortest text that parses back to the same double.
std::string FormatDouble(double v) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, ptr) : "0";
}

void IgnoreSigpipeIfDefault() {
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
}

// "redis_version:7.0.15" in INFO server; true for 6.2 and later.
Status CheckVersion(RedisConnection& conn) {
  auto info = conn.Command({"INFO", "server"});
  if (!info.ok()) return info.status();
  std::string text = ReplyText(info->get());
  size_t at = text.find("redis_version:");
  if (IsError(info->get()) || at == std::string::npos) {
    return Status(StatusCode::kIoError, "the server did not answer INFO like Redis: " + text.substr(0, 100));
  }
  int major = 0, minor = 0;
  std::sscanf(text.c_str() + at + 14, "%d.%d", &major, &minor);
  if (major < 6 || (major == 6 && minor < 2)) {
    return Status(StatusCode::kIoError, "Redis " + std::to_string(major) + "." + std::to_string(minor) +
                                            " is too old: fleetd needs 6.2 or newer (GEOSEARCH)");
  }
  return Status::Ok();
}

RedisConnection::Options ConnectionOptions(const RedisLiveStateOptions& o) {
  RedisConnection::Options c;
  c.endpoint = o.endpoint;
  c.connect_timeout = o.connect_timeout;
  c.command_timeout = o.command_timeout;
  return c;
}

}  // namespace

RedisLiveState::RedisLiveState(const RedisLiveStateOptions& options)
    : options_(options),
      channel_(options.key_prefix + ":live:db" + std::to_string(options.endpoint.db)),
      origin_(RandomOrigin()),
      write_([this, &options] {
        RedisConnection::Options c = ConnectionOptions(options);
        c.on_connect = [this](RedisConnection& conn) { return LoadScript(conn); };
        return c;
      }()),
      read_(ConnectionOptions(options)) {}

RedisLiveState::~RedisLiveState() { subscriber_.reset(); }

Result<std::unique_ptr<RedisLiveState>> RedisLiveState::Open(const RedisLiveStateOptions& options) {
  if (!ValidPrefix(options.key_prefix)) {
    return Status(StatusCode::kInvalidArgument,
                  "redis key prefix '" + options.key_prefix + "' must be 1-64 characters of A-Z a-z 0-9 - _ . :");
  }
  if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0) {
    return Status(StatusCode::kInvalidArgument, "redis timeouts must be positive");
  }
  IgnoreSigpipeIfDefault();
  std::unique_ptr<RedisLiveState> live(new RedisLiveState(options));
  if (Status s = live->read_.EnsureConnected(); !s.ok()) return s;
  if (Status s = CheckVersion(live->read_); !s.ok()) return s;
  if (Status s = live->write_.EnsureConnected(); !s.ok()) return s;
  if (!options.subscribe) return live;
  live->subscriber_ =
      std::make_unique<RedisSubscriber>(ConnectionOptions(options), live->channel_,
                                        [raw = live.get()](std::string_view payload) { raw->OnPublished(payload); });
  if (!live->subscriber_->WaitSubscribed(options.connect_timeout + options.command_timeout)) {
    return Status(StatusCode::kIoError,
                  "cannot subscribe to the live feed on redis: " + live->subscriber_->last_error());
  }
  return live;
}

Status RedisLiveState::LoadScript(RedisConnection& conn) {
  auto reply = conn.Command({"SCRIPT", "LOAD", kUpdateScript});
  if (!reply.ok()) return reply.status();
  if (!IsString(reply->get())) {
    return Status(StatusCode::kIoError, "redis refused the update script: " + ReplyText(reply->get()));
  }
  script_sha_ = ReplyText(reply->get());
  return Status::Ok();
}

std::string RedisLiveState::DeviceKey(int64_t tenant_id, std::string_view uid) const {
  return options_.key_prefix + ":{" + std::to_string(tenant_id) + "}:dev:" + std::string(uid);
}
std::string RedisLiveState::DevicesKey(int64_t tenant_id) const {
  return options_.key_prefix + ":{" + std::to_string(tenant_id) + "}:devs";
}
std::string RedisLiveState::GeoKey(int64_t tenant_id) const {
  return options_.key_prefix + ":{" + std::to_string(tenant_id) + "}:geo";
}

std::vector<RedisCommand> RedisLiveState::WriteCommands(std::span<const Envelope> batch) const {
  struct Group {
    int64_t tenant_id;
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };
  // Only each device's newest message of the batch can end up held (the
  // script keeps the newest fix; of equal ones the later), so the others
  // are not sent: a batch holds several fixes per device, and this cuts
  // the script's work (its Redis time) and the JSON written for the hashes
  // by that factor. Every message still goes out on the feed.
  std::unordered_map<std::string_view, std::pair<int64_t, size_t>> newest;  // "tenant uid" -> (fix, index)
  std::vector<std::string> device_keys(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const Message& m = batch[i].message;
    if (!m.has_position()) continue;
    device_keys[i] = DeviceKey(batch[i].tenant_id, m.device_uid);
    const int64_t fix = m.ts.value_or(m.received_at);
    auto [it, inserted] = newest.try_emplace(device_keys[i], fix, i);
    if (!inserted && it->second.first <= fix) it->second = {fix, i};
  }
  std::vector<bool> wanted(batch.size(), false);
  for (const auto& [key, winner] : newest) wanted[winner.second] = true;

  std::vector<Group> groups;
  std::unordered_map<int64_t, size_t> open;  // tenant -> its group still taking messages
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!wanted[i]) continue;
    const Envelope& e = batch[i];
    const Message& m = e.message;
    auto it = open.find(e.tenant_id);
    if (it == open.end() || groups[it->second].keys.size() >= kMessagesPerScript) {
      groups.push_back(Group{e.tenant_id, {}, {}});
      it = open.insert_or_assign(e.tenant_id, groups.size() - 1).first;
    }
    Group& g = groups[it->second];
    bool indexed = std::isfinite(*m.lat) && std::isfinite(*m.lng) && std::abs(*m.lat) <= kNearMaxLatitude &&
                   std::abs(*m.lng) <= 180;
    g.keys.push_back(std::move(device_keys[i]));
    g.args.push_back(std::to_string(m.ts.value_or(m.received_at)));
    g.args.push_back(MessageToJsonText(m));
    g.args.push_back(indexed ? FormatDouble(*m.lng) : "");
    g.args.push_back(indexed ? FormatDouble(*m.lat) : "");
    g.args.push_back(m.device_uid);
  }
  std::vector<RedisCommand> commands;
  commands.reserve(groups.size() + 1);
  for (Group& g : groups) {
    RedisCommand c;
    c.reserve(5 + g.keys.size() + g.args.size());
    c.push_back("EVALSHA");
    c.push_back("");  // the sha, filled in under write_mu_
    c.push_back(std::to_string(2 + g.keys.size()));
    c.push_back(DevicesKey(g.tenant_id));
    c.push_back(GeoKey(g.tenant_id));
    for (std::string& k : g.keys) c.push_back(std::move(k));
    for (std::string& a : g.args) c.push_back(std::move(a));
    commands.push_back(std::move(c));
  }
  return commands;
}

void RedisLiveState::Update(std::span<const Envelope> batch) {
  if (batch.empty()) return;
  // Serialized outside the lock: the PUBLISHes (one per
  // kMaxEnvelopesPerList envelopes), then one EVALSHA per tenant (and per
  // kMessagesPerScript messages). The feed goes first: it is what other
  // nodes' WebSocket clients wait for, and Redis runs a pipeline in order,
  // so published after the scripts it waited for them (~3 ms a batch under
  // load). A client reading a hash right after an update may see it one
  // fix older for those milliseconds.
  LiveFeedPayloads to_publish = EncodeLiveBatch(origin_, batch);
  std::vector<RedisCommand> commands;
  for (std::string& payload : to_publish.payloads) commands.push_back({"PUBLISH", channel_, std::move(payload)});
  const size_t publishes = commands.size();
  for (RedisCommand& c : WriteCommands(batch)) commands.push_back(std::move(c));

  std::unique_lock write(write_mu_);
  for (size_t i = publishes; i < commands.size(); ++i) commands[i][1] = script_sha_;
  bool failed = to_publish.left_out > 0;  // those envelopes reach no other node
  auto replies = write_.Pipeline(commands);
  if (!replies.ok()) {
    failed = true;
  } else {
    for (size_t i = 0; i < publishes; ++i) {
      if (IsError((*replies)[i].get())) {
        failed = true;
      } else {
        published_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    bool noscript = false;
    for (size_t i = publishes; i < commands.size(); ++i) {
      if (!IsError((*replies)[i].get())) continue;
      (ReplyText((*replies)[i].get()).starts_with("NOSCRIPT") ? noscript : failed) = true;
    }
    // The script cache was emptied (SCRIPT FLUSH, a failover to a server that
    // never loaded it): load it again and re-run the writes. Re-applying the
    // same messages in the same order is idempotent (equal recency replaces).
    if (noscript && LoadScript(write_).ok()) {
      for (size_t i = publishes; i < commands.size(); ++i) commands[i][1] = script_sha_;
      auto again = write_.Pipeline(std::span<const RedisCommand>(commands.data() + publishes, commands.size() - publishes));
      noscript = !again.ok();
      for (size_t i = 0; again.ok() && i < again->size(); ++i) failed = failed || IsError((*again)[i].get());
    }
    failed = failed || noscript;
  }
  if (failed) update_failures_.fetch_add(1, std::memory_order_relaxed);

  std::lock_guard feed(feed_mu_);
  write.unlock();
  FanOut(batch);
}

Status RedisLiveState::Forget(int64_t tenant_id, const std::string& device_uid) {
  const std::vector<RedisCommand> commands = {
      {"MULTI"},
      {"DEL", DeviceKey(tenant_id, device_uid)},
      {"SREM", DevicesKey(tenant_id), device_uid},
      {"ZREM", GeoKey(tenant_id), device_uid},
      {"EXEC"},
  };
  std::lock_guard write(write_mu_);
  auto replies = write_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (const RedisReply& r : *replies) {
    if (IsError(r.get())) return Status(StatusCode::kIoError, "redis refused to forget the device: " + ReplyText(r.get()));
  }
  const redisReply* exec = replies->back().get();  // EXEC: one reply per queued command
  if (exec == nullptr || exec->type != REDIS_REPLY_ARRAY) {
    return Status(StatusCode::kIoError, "redis aborted forgetting the device");
  }
  for (size_t i = 0; i < exec->elements; ++i) {
    if (IsError(exec->element[i])) {
      return Status(StatusCode::kIoError, "redis refused to forget the device: " + ReplyText(exec->element[i]));
    }
  }
  return Status::Ok();
}

void RedisLiveState::OnPublished(std::string_view payload) {
  if (LiveBatchOrigin(payload) == origin_) return;  // delivered by Update() already
  if (!AnyoneInterested()) {
    skipped_.fetch_add(1, std::memory_order_relaxed);
    return;  // nobody wants it now: not worth parsing
  }
  auto batch = DecodeLiveBatch(payload);
  if (!batch.ok()) {
    bad_payloads_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  received_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard feed(feed_mu_);
  FanOut(*batch);
}

bool RedisLiveState::AnyoneInterested() const {
  std::lock_guard feed(feed_mu_);
  for (const auto& [id, interest] : interests_) {
    if (!interest || interest()) return true;
  }
  return false;
}

void RedisLiveState::FanOut(std::span<const Envelope> batch) {
  for (const Envelope& e : batch) {
    for (auto& [id, listener] : listeners_) listener(e);
  }
}

uint64_t RedisLiveState::Subscribe(Listener listener, Interest interest) {
  std::lock_guard feed(feed_mu_);
  uint64_t id = next_id_++;
  listeners_.emplace(id, std::move(listener));
  interests_.emplace(id, std::move(interest));
  return id;
}

void RedisLiveState::Unsubscribe(uint64_t id) {
  std::lock_guard feed(feed_mu_);
  listeners_.erase(id);
  interests_.erase(id);
}

RedisLiveStateStats RedisLiveState::stats() const {
  RedisLiveStateStats s;
  s.update_failures = update_failures_.load(std::memory_order_relaxed);
  s.read_failures = read_failures_.load(std::memory_order_relaxed);
  s.published = published_.load(std::memory_order_relaxed);
  s.received = received_.load(std::memory_order_relaxed);
  s.skipped = skipped_.load(std::memory_order_relaxed);
  s.bad_payloads = bad_payloads_.load(std::memory_order_relaxed);
  s.reconnects = write_.reconnects() + read_.reconnects() + (subscriber_ ? subscriber_->resubscribes() : 0);
  return s;
}

}  // namespace fleetd
