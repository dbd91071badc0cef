// Loads the shared GT06 vectors (FLEETD_VECTORS_DIR/gt06.json) for the tests
// and the benchmark. The data stays in /work/shared/vectors; see its README.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fleetd::gt06 {

struct VectorCase {
  std::string id;           // "gt06-NNN", upstream order
  std::string test_method;  // replay group
  std::string kind;         // informative only
  std::vector<uint8_t> packet;
  nlohmann::json expect;    // upstream's assertion, see the README
  nlohmann::json meta;      // facts computed from the bytes (crc_x25_ok, length_consistent, ...)
  std::string model;        // context.setModelOverride, or empty
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
std::optional<VectorFile> LoadGt06Vectors();

}  // namespace fleetd::gt06
