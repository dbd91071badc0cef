// Framer: splits a byte stream into protocol frames.
//
// A framer is incremental and stateless between calls: the listener keeps the
// unconsumed bytes and calls Next() again after every read, so frames split
// across reads and several frames in one read both work. Next() never reads
// past the span it is given and never allocates from a length on the wire.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "fleetd/status.h"

namespace fleetd {

struct FrameResult {
  enum class Kind {
    kFrame,     // bytes [0, consumed) hold one frame: frame = buf.first(consumed)
    kNeedMore,  // not enough bytes yet; consumed == 0
    kError,     // bytes [0, consumed) are garbage to drop; consumed >= 1; error says why
  };
  Kind kind = Kind::kNeedMore;
  size_t consumed = 0;
  Status error;
};

class Framer {
 public:
  virtual ~Framer() = default;

  // Examines the unconsumed bytes of a stream. Thread: one call at a time per
  // instance; instances are cheap and made one per connection.
  virtual FrameResult Next(std::span<const uint8_t> buf) const = 0;

  // No frame of this protocol is longer; the listener's read buffer limit.
  virtual size_t max_frame_size() const = 0;
};

}  // namespace fleetd
