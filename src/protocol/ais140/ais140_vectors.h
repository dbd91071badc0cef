// Loads the shared AIS-140 vectors (FLEETD_VECTORS_DIR/ais140.json) for the
// tests and the benchmark. The data stays in /work/shared/vectors; see its README.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fleetd::ais140 {

struct VectorCase {
  std::string id;           // "ais140-NNN", upstream order
  std::string test_method;  // replay group
  std::string kind;         // informative only
  std::vector<uint8_t> packet;  // the ascii sentence as bytes
  nlohmann::json expect;    // upstream's assertion, see the README
  nlohmann::json meta;
};

struct VectorFrame {
  std::string id;
  std::vector<uint8_t> input;
  std::vector<uint8_t> expected_frame;
};

struct VectorFile {
  std::vector<VectorCase> cases;  // sorted by id
  std::vector<VectorFrame> frames;
};

// nullopt (with a message on stderr) when the file is missing or malformed.
std::optional<VectorFile> LoadAis140Vectors();

}  // namespace fleetd::ais140
