// Names the calling thread, so that `top -H`, `ps -L`, perf and gdb show
// what each of fleetd's threads is (an io thread, a writer, a partition's
// fetcher) instead of a dozen lines of "fleetd". Linux keeps 15 bytes of
// it; a longer name is cut there.
#pragma once

#include <string>

namespace fleetd {

void SetThreadName(const std::string& name);

}  // namespace fleetd
