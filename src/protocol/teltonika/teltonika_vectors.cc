// Reads teltonika.json (see teltonika_vectors.h).
#include "protocol/teltonika/teltonika_vectors.h"

#include <algorithm>
#include <fstream>
#include <iostream>

#include "core/hex.h"

#ifndef FLEETD_VECTORS_DIR
#error "FLEETD_VECTORS_DIR must point at the shared vectors folder"
#endif

namespace fleetd::teltonika {

std::optional<VectorFile> LoadTeltonikaVectors() {
  const std::string path = std::string(FLEETD_VECTORS_DIR) + "/teltonika.json";
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
    auto bytes = ParseHex(c.value("packet", ""));
    if (!bytes) return std::nullopt;
    VectorCase vc;
    vc.id = c.value("id", "");
    vc.test_method = c.value("test_method", "");
    vc.framing = c.value("framing", "tcp");
    vc.packet = std::move(*bytes);
    vc.expect = c.value("expect", nlohmann::json::object());
    vc.meta = c.value("meta", nlohmann::json::object());
    const auto context = c.value("context", nlohmann::json::object());
    vc.model = context.value("setModelOverride", "");
    vc.extended = context.value("setExtended", false);
    vc.upstream_disabled = c.value("upstream_disabled", false);
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

}  // namespace fleetd::teltonika
