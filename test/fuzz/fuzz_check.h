// FUZZ_CHECK: a broken contract found by a fuzz target is a crash, so that
// libFuzzer saves the input and scripts/fuzz.sh fails. Used only in test/fuzz.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                                             \
  do {                                                                                                     \
    if (!(cond)) {                                                                                         \
      std::fprintf(stderr, "fuzz contract violated at %s:%d: %s (%s)\n", __FILE__, __LINE__, what, #cond); \
      std::abort();                                                                                        \
    }                                                                                                      \
  } while (0)
