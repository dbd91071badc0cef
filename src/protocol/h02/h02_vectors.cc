// Reads h02.json (see h02_vectors.h).
#include "protocol/h02/h02_vectors.h"

#include <algorithm>
#include <fstream>
#include <iostream>

#include "core/hex.h"

#ifndef FLEETD_VECTORS_DIR
#error "FLEETD_VECTORS_DIR must point at the shared vectors folder"
#endif

namespace fleetd::h02 {

std::optional<VectorFile> LoadH02Vectors() {
  const std::string path = std::string(FLEETD_VECTORS_DIR) + "/h02.json";
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
    const std::string packet = c.value("packet", "");
    VectorCase vc{c.value("id", ""), c.value("test_method", ""), c.value("kind", ""), {}, false,
                  c.value("expect", nlohmann::json::object())};
    if (c.value("encoding", "") == "hex") {
      auto bytes = ParseHex(packet);
      if (!bytes) return std::nullopt;
      vc.packet = std::move(*bytes);
      vc.binary = true;
    } else {
      vc.packet.assign(packet.begin(), packet.end());
    }
    file.cases.push_back(std::move(vc));
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

}  // namespace fleetd::h02
