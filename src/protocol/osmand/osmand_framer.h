// OsmandFramer: cuts one HTTP/1.1 request at a time from a TCP stream.
//
// The request is the frame: request line and headers up to the blank line
// (at most kMaxHeaderSize bytes), then a body of exactly Content-Length bytes
// (at most kMaxBodySize). Chunked transfer encoding is rejected: phone
// trackers send small bodies with a length. Empty lines before a request
// (allowed by RFC 9112) are kept as the start of the next frame. The lenient
// framer also accepts headers ended by LF LF (embedded clients that omit CR).
#pragma once

#include "fleetd/framer.h"

namespace fleetd {

class OsmandFramer : public Framer {
 public:
  explicit OsmandFramer(bool lenient = false) : lenient_(lenient) {}

  // Stateless: examines `buf` only. Errors (kBadLength for headers or a body
  // beyond the limits, kUnsupported for Transfer-Encoding, kMalformed for a
  // bad request start or Content-Length) consume the whole buffer: an HTTP
  // stream cannot be resynchronised, so the listener should close it. The
  // Content-Length is checked against the limit before anything waits for it.
  FrameResult Next(std::span<const uint8_t> buf) const override;
  size_t max_frame_size() const override;

 private:
  bool lenient_;
};

}  // namespace fleetd
