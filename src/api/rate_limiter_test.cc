#include "api/rate_limiter.h"

#include <gtest/gtest.h>

namespace fleetd::api {
namespace {

TEST(RateLimiterTest, BurstThenRefill) {
  RateLimiter limiter(3, 1);  // 3 at once, then 1 per second
  EXPECT_TRUE(limiter.Allow("a", 0));
  EXPECT_TRUE(limiter.Allow("a", 0));
  EXPECT_TRUE(limiter.Allow("a", 0));
  EXPECT_FALSE(limiter.Allow("a", 0));
  EXPECT_TRUE(limiter.Allow("b", 0));  // per key
  EXPECT_FALSE(limiter.Allow("a", 999));
  EXPECT_TRUE(limiter.Allow("a", 1000));
  EXPECT_FALSE(limiter.Allow("a", 1000));
  EXPECT_FALSE(limiter.Allow("a", 500));  // clock going back gives nothing
}

TEST(RateLimiterTest, BoundedKeys) {
  RateLimiter limiter(1, 1, 2);
  EXPECT_TRUE(limiter.Allow("a", 0));
  EXPECT_TRUE(limiter.Allow("b", 0));
  EXPECT_FALSE(limiter.Allow("c", 0));    // table full of busy buckets
  EXPECT_TRUE(limiter.Allow("c", 5000));  // a and b refilled and were pruned
}

}  // namespace
}  // namespace fleetd::api
