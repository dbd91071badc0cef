// Loads the shared Teltonika vectors (FLEETD_VECTORS_DIR/teltonika.json) for
// the tests and the benchmark. The data stays in /work/shared/vectors; see its README.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fleetd::teltonika {

struct VectorCase {
  std::string id;           // "teltonika-NNN", upstream order
  std::string test_method;  // replay group
  std::string framing;      // "tcp" or "udp"
  std::vector<uint8_t> packet;
  nlohmann::json expect;    // upstream's assertion, see the README
  nlohmann::json meta;      // facts computed from the bytes (crc16_ibm_ok, data_length_consistent, ...)
  std::string model;        // context.setModelOverride, or empty
  bool extended = false;    // context.setExtended
  bool upstream_disabled = false;
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
std::optional<VectorFile> LoadTeltonikaVectors();

}  // namespace fleetd::teltonika
