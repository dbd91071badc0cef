// Live batch encoding. Untrusted on decode: anyone who can reach Redis can
// publish on the channel, so every shape is checked and nothing throws.
#include "live/redis/live_feed_codec.h"

#include <cassert>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/message_json.h"

namespace fleetd {
namespace {

constexpr std::string_view kMagic = "fleetd-live v1 ";

// An integer that fits int64_t (JSON has unsigned values beyond it).
bool IsInt64(const nlohmann::ordered_json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX);
  return v.is_number_integer();
}

}  // namespace

std::string EncodeLiveBatch(std::string_view origin, std::span<const Envelope> batch) {
  std::vector<std::string> texts;
  texts.reserve(batch.size());
  for (const Envelope& e : batch) texts.push_back(MessageToJsonText(e.message));
  return EncodeLiveBatch(origin, batch, texts);
}

std::string EncodeLiveBatch(std::string_view origin, std::span<const Envelope> batch,
                            std::span<const std::string> message_texts) {
  assert(batch.size() == message_texts.size());
  size_t size = kMagic.size() + origin.size() + 3;
  for (const std::string& text : message_texts) size += text.size() + 48;
  std::string out;
  out.reserve(size);
  out += kMagic;
  out += origin;
  out += "\n[";
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i > 0) out += ',';
    out += '[';
    out += std::to_string(batch[i].tenant_id);
    out += ',';
    out += std::to_string(batch[i].device_id);
    out += ',';
    out += message_texts[i];  // valid JSON already (invalid UTF-8 replaced)
    out += ']';
  }
  out += ']';
  return out;
}

std::string_view LiveBatchOrigin(std::string_view payload) {
  if (!payload.starts_with(kMagic)) return {};
  payload.remove_prefix(kMagic.size());
  size_t newline = payload.find('\n');
  if (newline == std::string_view::npos) return {};
  return payload.substr(0, newline);
}

Result<std::vector<Envelope>> DecodeLiveBatch(std::string_view payload) {
  if (LiveBatchOrigin(payload).empty()) return Status(StatusCode::kMalformed, "not a fleetd-live v1 batch");
  std::string_view body = payload.substr(payload.find('\n') + 1);
  auto list = nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (list.is_discarded()) return Status(StatusCode::kMalformed, "live batch is not JSON");
  if (!list.is_array()) return Status(StatusCode::kInvalidArgument, "live batch is not a JSON array");
  std::vector<Envelope> out;
  out.reserve(list.size());
  for (const auto& item : list) {
    if (!item.is_array() || item.size() != 3 || !IsInt64(item[0]) || !IsInt64(item[1])) {
      return Status(StatusCode::kInvalidArgument, "live batch entry is not [tenant_id, device_id, message]");
    }
    auto message = MessageFromJson(item[2]);
    if (!message.ok()) return Status(message.status().code(), "live batch message: " + message.status().message());
    Envelope e;
    e.tenant_id = item[0].get<int64_t>();
    e.device_id = item[1].get<int64_t>();
    e.message = std::move(*message);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace fleetd
