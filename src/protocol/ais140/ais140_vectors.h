// The shared ais140 vectors (FLEETD_VECTORS_DIR/ais140.json) for the tests and the
// benchmark, read by the one loader all protocols share.
#pragma once

#include "protocol/testing/vector_file.h"

namespace fleetd::ais140 {

using vectors::VectorCase;
using vectors::VectorFile;
using vectors::VectorFrame;

// nullopt (with a message on stderr) when the file is missing or malformed.
inline std::optional<VectorFile> LoadAis140Vectors() { return vectors::LoadVectorFile("ais140"); }

}  // namespace fleetd::ais140
