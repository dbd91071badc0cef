// The shared gt06 vectors (FLEETD_VECTORS_DIR/gt06.json) for the tests and the
// benchmark, read by the one loader all protocols share.
#pragma once

#include "protocol/testing/vector_file.h"

namespace fleetd::gt06 {

using vectors::VectorCase;
using vectors::VectorFile;
using vectors::VectorFrame;

// nullopt (with a message on stderr) when the file is missing or malformed.
inline std::optional<VectorFile> LoadGt06Vectors() { return vectors::LoadVectorFile("gt06"); }

}  // namespace fleetd::gt06
