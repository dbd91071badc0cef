#include "protocol/testing/vector_file.h"

#include <algorithm>
#include <fstream>
#include <iostream>

#include "core/hex.h"

#ifndef FLEETD_VECTORS_DIR
#error "FLEETD_VECTORS_DIR must point at the shared vectors folder"
#endif

namespace fleetd::vectors {
namespace {

// Ascii packets are upstream Java strings: code points below 256 stand for
// the byte of the same value (one AIS-140 packet carries a raw 0xBC), which
// JSON stores as UTF-8. Anything above 255 is not a packet byte.
std::optional<std::vector<uint8_t>> Latin1(const std::string& text) {
  std::vector<uint8_t> bytes;
  bytes.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      bytes.push_back(b);
      ++i;
    } else if ((b & 0xE0) == 0xC0 && i + 1 < text.size()) {
      bytes.push_back(static_cast<uint8_t>(((b & 0x1F) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3F)));
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return bytes;
}

std::optional<std::vector<uint8_t>> Bytes(const nlohmann::json& item, const char* field) {
  const std::string text = item.value(field, "");
  if (item.value("encoding", "hex") == "hex") return ParseHex(text);
  return Latin1(text);
}

}  // namespace

std::optional<VectorFile> LoadVectorFile(std::string_view name) {
  const std::string path = std::string(FLEETD_VECTORS_DIR) + "/" + std::string(name) + ".json";
  std::ifstream in(path);
  if (!in) {
    std::cerr << "cannot open " << path << "\n";
    return std::nullopt;
  }
  const auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.contains("cases") || !json["cases"].is_array()) {
    std::cerr << "malformed " << path << "\n";
    return std::nullopt;
  }
  VectorFile file;
  for (const auto& c : json["cases"]) {
    VectorCase vc;
    vc.id = c.value("id", "");
    vc.test_method = c.value("test_method", "");
    vc.kind = c.value("kind", "");
    vc.framing = c.value("framing", "");
    vc.binary = c.value("encoding", "hex") == "hex";
    auto packet = Bytes(c, "packet");
    if (!packet) {
      std::cerr << "bad packet in " << vc.id << "\n";
      return std::nullopt;
    }
    vc.packet = std::move(*packet);
    vc.expect = c.value("expect", nlohmann::json::object());
    vc.meta = c.value("meta", nlohmann::json::object());
    vc.upstream_disabled = c.value("upstream_disabled", false);
    if (auto ctx = c.find("context"); ctx != c.end() && ctx->is_object()) {
      vc.model = ctx->value("setModelOverride", "");
      vc.extended = ctx->value("setExtended", false);
    }
    file.cases.push_back(std::move(vc));
  }
  std::sort(file.cases.begin(), file.cases.end(),
            [](const VectorCase& a, const VectorCase& b) { return a.id < b.id; });
  for (const auto& f : json.value("frames", nlohmann::json::array())) {
    auto input = Bytes(f, "input");
    auto expected = Bytes(f, "expected_frame");
    if (!input || !expected) {
      std::cerr << "bad frame in " << f.value("id", "?") << "\n";
      return std::nullopt;
    }
    file.frames.push_back(VectorFrame{f.value("id", ""), std::move(*input), std::move(*expected)});
  }
  return file;
}

}  // namespace fleetd::vectors
