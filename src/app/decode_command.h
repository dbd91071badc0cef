// `fleetd decode`: run a protocol's framer and decoder over hex frames, for
// people with a device and a packet capture. Prints one schema-v1 JSON line
// per decoded message, reasons for rejected frames on stderr.
#pragma once

#include <iosfwd>
#include <string>

#include "protocol/registry.h"

namespace fleetd {

struct DecodeOptions {
  std::string protocol = "gt06";
  std::string hex;        // one input; empty = read lines from stdin
  bool replies = false;   // also print {"reply": "<hex>"} lines
  bool lenient = false;
  std::string model;
  std::string uid;        // preset device uid, for frames captured after the login
};

// Returns 0 when every frame decoded, 1 when any was rejected, 2 on usage errors.
int RunDecode(const DecodeOptions& options, const ProtocolRegistry& protocols, std::istream& in,
              std::ostream& out, std::ostream& err);

}  // namespace fleetd
