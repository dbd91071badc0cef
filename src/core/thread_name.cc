#include "core/thread_name.h"

#include <pthread.h>

namespace fleetd {

void SetThreadName(const std::string& name) {
  // The kernel refuses (ERANGE) rather than truncates a name of 16 bytes or more.
  const std::string cut = name.substr(0, 15);
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace fleetd
