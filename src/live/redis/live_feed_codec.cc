// Live batch encoding. Untrusted on decode: anyone who can reach Redis can
// publish on the channel, so every shape is checked and nothing throws; the
// v2 body goes through the envelope codec's bounds-checked reader.
#include "live/redis/live_feed_codec.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/envelope_codec.h"
#include "core/message_json.h"

namespace fleetd {
namespace {

constexpr std::string_view kMagicV1 = "fleetd-live v1 ";
constexpr std::string_view kMagicV2 = "fleetd-live v2 ";
static_assert(kMagicV1.size() == kMagicV2.size());

struct Header {
  int version = 0;  // 0: not a payload of a known version
  std::string_view origin;
  std::string_view body;
};

Header ParseHeader(std::string_view payload) {
  Header header;
  const int version = payload.starts_with(kMagicV2) ? 2 : payload.starts_with(kMagicV1) ? 1 : 0;
  if (version == 0) return header;
  payload.remove_prefix(kMagicV2.size());
  const size_t newline = payload.find('\n');  // the origin has none; the v2 body may
  if (newline == std::string_view::npos || newline == 0) return header;
  header.version = version;
  header.origin = payload.substr(0, newline);
  header.body = payload.substr(newline + 1);
  return header;
}

// An integer that fits int64_t (JSON has unsigned values beyond it).
bool IsInt64(const nlohmann::ordered_json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX);
  return v.is_number_integer();
}

Result<std::vector<Envelope>> DecodeV1Body(std::string_view body) {
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

}  // namespace

LiveFeedPayloads EncodeLiveBatch(std::string_view origin, std::span<const Envelope> batch) {
  assert(!origin.empty() && origin.find('\n') == std::string_view::npos);
  LiveFeedPayloads out;
  // Every envelope into one buffer (not a string each), then framed.
  std::string encoded;
  encoded.reserve(batch.size() * 128);
  std::vector<size_t> ends;  // where each kept envelope ends in `encoded`
  ends.reserve(batch.size());
  for (const Envelope& e : batch) {
    const size_t start = encoded.size();
    if (!EncodeEnvelope(e, encoded).ok()) {
      encoded.resize(start);  // EncodeEnvelope stops midway
      ++out.left_out;
      continue;
    }
    ends.push_back(encoded.size());
  }
  std::vector<std::string_view> views(ends.size());
  for (size_t i = 0, start = 0; i < ends.size(); start = ends[i++]) {
    views[i] = std::string_view(encoded).substr(start, ends[i] - start);
  }

  for (size_t first = 0; first < views.size(); first += kMaxEnvelopesPerList) {
    const auto chunk =
        std::span<const std::string_view>(views).subspan(first, std::min(kMaxEnvelopesPerList, views.size() - first));
    size_t size = kMagicV2.size() + origin.size() + 1 + 3;
    for (std::string_view e : chunk) size += 4 + e.size();
    std::string payload;
    payload.reserve(size);
    payload += kMagicV2;
    payload += origin;
    payload += '\n';
    if (chunk.size() == 1) {
      payload += chunk[0];
    } else {
      FrameEnvelopeList(chunk, payload);
    }
    out.payloads.push_back(std::move(payload));
  }
  return out;
}

std::string_view LiveBatchOrigin(std::string_view payload) { return ParseHeader(payload).origin; }

Result<std::vector<Envelope>> DecodeLiveBatch(std::string_view payload) {
  const Header header = ParseHeader(payload);
  if (header.version == 1) return DecodeV1Body(header.body);
  if (header.version != 2) return Status(StatusCode::kMalformed, "not a fleetd-live v1 or v2 batch");
  auto batch = DecodeEnvelopes({reinterpret_cast<const uint8_t*>(header.body.data()), header.body.size()});
  if (!batch.ok()) return Status(batch.status().code(), "live batch: " + batch.status().message());
  return batch;
}

}  // namespace fleetd
