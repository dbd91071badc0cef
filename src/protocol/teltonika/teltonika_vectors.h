// The shared teltonika vectors (FLEETD_VECTORS_DIR/teltonika.json) for the tests and the
// benchmark, read by the one loader all protocols share.
#pragma once

#include "protocol/testing/vector_file.h"

namespace fleetd::teltonika {

using vectors::VectorCase;
using vectors::VectorFile;
using vectors::VectorFrame;

// nullopt (with a message on stderr) when the file is missing or malformed.
inline std::optional<VectorFile> LoadTeltonikaVectors() { return vectors::LoadVectorFile("teltonika"); }

}  // namespace fleetd::teltonika
