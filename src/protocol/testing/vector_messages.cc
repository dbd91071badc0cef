#include "protocol/testing/vector_messages.h"

#include <algorithm>
#include <fstream>
#include <span>

#include "core/hex.h"

#ifndef FLEETD_VECTORS_DIR
#error "FLEETD_VECTORS_DIR must point at the shared vectors folder"
#endif

namespace fleetd::vectors {

using nlohmann::json;

std::string VectorHttpRequest(const json& c) {
  const json& http = c["http"];
  std::string method = http.value("method", "GET");
  std::string uri = http.value("uri", "/");
  std::string packet = c["packet"];
  std::string req;
  if (http.value("packet_is", "uri") == "uri") {
    req = method + " " + packet + " HTTP/1.1\r\nHost: fleetd\r\n\r\n";
  } else {
    std::string type = "application/json";
    if (http.contains("headers") && http["headers"].is_object()) {
      for (auto& [k, v] : http["headers"].items()) {
        if (k == "Content-Type" && v.is_string()) type = v;
      }
    }
    req = method + " " + uri + " HTTP/1.1\r\nHost: fleetd\r\nContent-Type: " + type +
          "\r\nContent-Length: " + std::to_string(packet.size()) + "\r\n\r\n" + packet;
  }
  return req;
}

std::optional<std::vector<DecodedVectorMessage>> DecodeVectorMessages(const ProtocolInfo& protocol) {
  std::ifstream in(std::string(FLEETD_VECTORS_DIR) + "/" + protocol.name + ".json");
  if (!in) return std::nullopt;
  const json file = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (file.is_discarded() || !file.contains("cases")) return std::nullopt;
  auto framer = protocol.make_framer(true);
  auto decoder = protocol.make_decoder();
  std::vector<DecodedVectorMessage> decoded;
  for (const auto& c : file["cases"]) {
    std::string bytes;
    if (c.contains("http")) {
      bytes = VectorHttpRequest(c);
    } else if (c["encoding"] == "hex") {
      auto raw = ParseHex(c["packet"].get<std::string>());
      if (!raw) continue;
      bytes.assign(raw->begin(), raw->end());
    } else {
      bytes = c["packet"];
    }
    DecodeSession session{"123456789012345", true, ""};
    if (c.contains("context") && c["context"].is_object()) session.model = c["context"].value("setModelOverride", "");
    std::span<const uint8_t> rest(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    while (!rest.empty()) {
      FrameResult r = framer->Next(rest);
      const size_t n = r.kind == FrameResult::Kind::kNeedMore ? rest.size() : std::max<size_t>(r.consumed, 1);
      if (r.kind != FrameResult::Kind::kError) {
        DecodeOutput out;
        if (decoder->Decode(rest.first(std::min(n, rest.size())), session, 1780000000123LL, out).ok()) {
          for (Message& m : out.messages) decoded.push_back({c.value("id", ""), std::move(m)});
        }
      }
      rest = rest.subspan(std::min(n, rest.size()));
    }
  }
  return decoded;
}

}  // namespace fleetd::vectors
