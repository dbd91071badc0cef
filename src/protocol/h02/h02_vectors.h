// The shared h02 vectors (FLEETD_VECTORS_DIR/h02.json) for the tests and the
// benchmark, read by the one loader all protocols share.
#pragma once

#include "protocol/testing/vector_file.h"

namespace fleetd::h02 {

using vectors::VectorCase;
using vectors::VectorFile;
using vectors::VectorFrame;

// nullopt (with a message on stderr) when the file is missing or malformed.
inline std::optional<VectorFile> LoadH02Vectors() { return vectors::LoadVectorFile("h02"); }

}  // namespace fleetd::h02
