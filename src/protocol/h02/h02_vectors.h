// Loads the shared H02 vectors (FLEETD_VECTORS_DIR/h02.json) for the tests
// and the benchmark. The data stays in /work/shared/vectors; see its README.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fleetd::h02 {

struct VectorCase {
  std::string id;           // "h02-NNN", upstream order
  std::string test_method;  // replay group
  std::string kind;         // informative only
  std::vector<uint8_t> packet;  // ascii cases as their bytes, hex cases decoded
  bool binary = false;      // encoding "hex": the `$` form
  nlohmann::json expect;    // upstream's assertion, see the README
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
std::optional<VectorFile> LoadH02Vectors();

}  // namespace fleetd::h02
