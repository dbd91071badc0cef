// RedisLiveState reads: what an API node serves, straight from Redis, so a
// node that has just started knows the whole fleet. Each call uses the read
// connection (its own, so reads never wait behind a write pipeline) and
// answers empty when Redis fails, counting it in read_failures.
#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/message_json.h"
#include "live/redis/redis_live_state.h"

namespace fleetd {
namespace {

constexpr size_t kFetchChunk = 1000;  // HGETs per pipeline: bounded request and reply sizes

std::string FormatNumber(double v) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, ptr) : "0";
}

// The uids of an array reply of strings (SMEMBERS, GEOSEARCH).
std::optional<std::vector<std::string>> Uids(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(reply->elements);
  for (size_t i = 0; i < reply->elements; ++i) {
    if (!IsString(reply->element[i])) return std::nullopt;
    out.push_back(ReplyText(reply->element[i]));
  }
  return out;
}

}  // namespace

void RedisLiveState::CountReadFailure() const { read_failures_.fetch_add(1, std::memory_order_relaxed); }

std::vector<Message> RedisLiveState::Fetch(int64_t tenant_id, const std::vector<std::string>& uids) const {
  std::vector<Message> out;
  out.reserve(uids.size());
  std::vector<RedisCommand> commands;
  for (size_t start = 0; start < uids.size(); start += kFetchChunk) {
    size_t end = std::min(uids.size(), start + kFetchChunk);
    commands.clear();
    for (size_t i = start; i < end; ++i) commands.push_back({"HGET", DeviceKey(tenant_id, uids[i]), "json"});
    auto replies = read_.Pipeline(commands);
    if (!replies.ok()) {
      CountReadFailure();
      return {};
    }
    for (const RedisReply& reply : *replies) {
      if (!IsString(reply.get())) continue;  // removed since the index was read
      auto message = MessageFromJsonText(std::string_view(reply->str, reply->len));
      if (message.ok() && message->has_position()) out.push_back(std::move(*message));
    }
  }
  return out;
}

std::optional<Message> RedisLiveState::Get(int64_t tenant_id, const std::string& device_uid) const {
  std::lock_guard lock(read_mu_);
  auto reply = read_.Command({"HGET", DeviceKey(tenant_id, device_uid), "json"});
  if (!reply.ok() || IsError(reply->get())) {
    CountReadFailure();
    return std::nullopt;
  }
  if (!IsString(reply->get())) return std::nullopt;
  auto message = MessageFromJsonText(std::string_view((*reply)->str, (*reply)->len));
  if (!message.ok() || !message->has_position()) return std::nullopt;
  return std::move(*message);
}

std::vector<Message> RedisLiveState::Snapshot(int64_t tenant_id) const {
  std::lock_guard lock(read_mu_);
  auto reply = read_.Command({"SMEMBERS", DevicesKey(tenant_id)});
  std::optional<std::vector<std::string>> uids;
  if (reply.ok()) uids = Uids(reply->get());
  if (!uids) {
    CountReadFailure();
    return {};
  }
  std::sort(uids->begin(), uids->end());
  return Fetch(tenant_id, *uids);
}

std::vector<Message> RedisLiveState::Near(int64_t tenant_id, double lat, double lng, double radius_m,
                                          size_t limit) const {
  if (!std::isfinite(lat) || !std::isfinite(lng) || !std::isfinite(radius_m) || std::abs(lat) > kNearMaxLatitude ||
      std::abs(lng) > 180 || radius_m < 0 || limit == 0) {
    return {};
  }
  limit = std::min<size_t>(limit, 1'000'000'000);  // COUNT is a signed 64-bit number in Redis
  std::lock_guard lock(read_mu_);
  auto reply = read_.Command({"GEOSEARCH", GeoKey(tenant_id), "FROMLONLAT", FormatNumber(lng), FormatNumber(lat),
                              "BYRADIUS", FormatNumber(radius_m), "m", "ASC", "COUNT", std::to_string(limit)});
  std::optional<std::vector<std::string>> uids;
  if (reply.ok()) uids = Uids(reply->get());
  if (!uids) {
    CountReadFailure();
    return {};
  }
  return Fetch(tenant_id, *uids);
}

}  // namespace fleetd
