// Reads ais140.json (see ais140_vectors.h).
#include "protocol/ais140/ais140_vectors.h"

#include <algorithm>
#include <fstream>
#include <iostream>

#include "core/hex.h"

#ifndef FLEETD_VECTORS_DIR
#error "FLEETD_VECTORS_DIR must point at the shared vectors folder"
#endif

namespace fleetd::ais140 {

std::optional<VectorFile> LoadAis140Vectors() {
  const std::string path = std::string(FLEETD_VECTORS_DIR) + "/ais140.json";
  std::ifstream in(path);
  if (!in) {
    std::cerr << "cannot open " << path << "\n";
    return std::nullopt;
  }
  const auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.contains("cases")) {
    std::cerr << "malformed " << path << "\n";
    return std::nullopt;
  }
  VectorFile file;
  for (const auto& c : json["cases"]) {
    std::vector<uint8_t> bytes;
    if (c.value("encoding", "") == "hex") {
      auto parsed = ParseHex(c.value("packet", ""));
      if (!parsed) return std::nullopt;
      bytes = std::move(*parsed);
    } else {
      // JSON strings are UTF-8; the ascii packets map code points < 256 to bytes.
      const std::string text = c.value("packet", "");
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
    }
    file.cases.push_back(VectorCase{c.value("id", ""), c.value("test_method", ""), c.value("kind", ""),
                                    std::move(bytes), c.value("expect", nlohmann::json::object()),
                                    c.value("meta", nlohmann::json::object())});
  }
  std::sort(file.cases.begin(), file.cases.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& f : json.value("frames", nlohmann::json::array())) {
    auto input = ParseHex(f.value("input", ""));
    auto expected = ParseHex(f.value("expected_frame", ""));
    if (!input || !expected) return std::nullopt;
    file.frames.push_back(VectorFrame{f.value("id", ""), std::move(*input), std::move(*expected)});
  }
  return file;
}

}  // namespace fleetd::ais140
