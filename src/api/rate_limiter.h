// Per-key token bucket, used to slow password guessing on the login route
// (keyed by remote IP). Time is passed in so tests need no clock.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "fleetd/message.h"

namespace fleetd::api {

class RateLimiter {
 public:
  // Each key starts with `burst` tokens and regains `per_second` per second,
  // up to `burst`. At most `max_keys` buckets are kept: when full, buckets
  // that have refilled completely are forgotten, and if none has, the
  // request is refused (an attacker rotating addresses cannot grow memory).
  RateLimiter(double burst, double per_second, size_t max_keys = 10000);

  // Takes one token for `key`; false when the bucket is empty. Thread-safe.
  bool Allow(const std::string& key, TimestampMs now);

 private:
  struct Bucket {
    double tokens = 0;
    TimestampMs updated = 0;
  };
  double Refilled(const Bucket& bucket, TimestampMs now) const;

  const double burst_;
  const double per_ms_;
  const size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace fleetd::api
