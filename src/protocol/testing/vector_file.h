// Loads a shared real-device vector file (FLEETD_VECTORS_DIR/<name>.json) for
// the protocol tests and benchmarks. One loader for every protocol: the file
// format is the same (see shared/vectors/README.md); the data stays there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace fleetd::vectors {

struct VectorCase {
  std::string id;           // "<protocol>-NNN", upstream order
  std::string test_method;  // replay group: one session per method, cases in order
  std::string kind;         // informative only
  std::string framing;      // Teltonika: "tcp" or "udp"; empty elsewhere
  std::vector<uint8_t> packet;  // hex cases decoded, ascii cases as their bytes
  bool binary = false;      // encoding "hex"
  nlohmann::json expect;    // upstream's assertion
  nlohmann::json meta;      // facts computed from the bytes (checksum ok, length consistent, ...)
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
std::optional<VectorFile> LoadVectorFile(std::string_view name);

}  // namespace fleetd::vectors
