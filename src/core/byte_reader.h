// ByteReader: bounds-checked big-endian reads over a frame.
//
// Decoders read wire fields through this so that a lying length can never
// read past the frame: every read checks the remaining size and, once a read
// fails, the reader stays failed and returns zeros. Decoders check ok() at
// the end (or before using a value that sizes anything).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fleetd {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  size_t position() const { return pos_; }

  uint8_t U8() { return static_cast<uint8_t>(ReadBE(1)); }
  uint16_t U16() { return static_cast<uint16_t>(ReadBE(2)); }
  uint32_t U24() { return static_cast<uint32_t>(ReadBE(3)); }
  uint32_t U32() { return static_cast<uint32_t>(ReadBE(4)); }
  uint64_t U64() { return ReadBE(8); }
  int16_t I16() { return static_cast<int16_t>(U16()); }
  int32_t I32() { return static_cast<int32_t>(U32()); }
  uint8_t PeekU8(size_t offset = 0) const {
    return ok_ && pos_ + offset < data_.size() ? data_[pos_ + offset] : 0;
  }

  // The next n bytes, or an empty span (and failed state) if there are fewer.
  std::span<const uint8_t> Bytes(size_t n) {
    if (!Need(n)) return {};
    auto out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  void Skip(size_t n) { Need(n) && (pos_ += n); }

 private:
  bool Need(size_t n) {
    if (!ok_ || n > data_.size() - pos_) {
      ok_ = false;
      return false;
    }
    return true;
  }
  uint64_t ReadBE(size_t n) {
    if (!Need(n)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | data_[pos_ + i];
    pos_ += n;
    return v;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace fleetd
