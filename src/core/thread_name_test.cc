#include "core/thread_name.h"

#include <pthread.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace fleetd {
namespace {

std::string NameInThread(const std::string& name) {
  std::string seen;
  std::thread t([&] {
    SetThreadName(name);
    char buf[32] = {};
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    seen = buf;
  });
  t.join();
  return seen;
}

TEST(ThreadNameTest, NamesTheCallingThread) { EXPECT_EQ(NameInThread("live-updater"), "live-updater"); }

// The kernel refuses 16 bytes or more; SetThreadName keeps the first 15.
TEST(ThreadNameTest, ALongNameIsCutAtFifteenBytes) {
  EXPECT_EQ(NameInThread("fetch-p1234567890123"), "fetch-p12345678");
}

}  // namespace
}  // namespace fleetd
