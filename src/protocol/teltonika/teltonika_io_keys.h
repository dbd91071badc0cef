// The attribute keys "io0".."io255" for unmapped IO elements, built at
// compile time with their sort prefixes and their rank in string order, so
// that the decoder neither formats nor sorts them. Internal to teltonika.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/teltonika/teltonika_io_table.h"

namespace fleetd::teltonika {

struct SmallIoKey {
  char text[8];
  uint8_t size;
  uint64_t prefix;  // KeyPrefix(view())
  constexpr std::string_view view() const { return {text, size}; }
};

constexpr std::array<SmallIoKey, 256> MakeSmallIoKeys() {
  std::array<SmallIoKey, 256> keys{};
  for (unsigned id = 0; id < keys.size(); ++id) {
    SmallIoKey& k = keys[id];
    uint8_t n = 0;
    k.text[n++] = 'i';
    k.text[n++] = 'o';
    if (id >= 100) k.text[n++] = static_cast<char>('0' + id / 100);
    if (id >= 10) k.text[n++] = static_cast<char>('0' + id / 10 % 10);
    k.text[n++] = static_cast<char>('0' + id % 10);
    k.size = n;
    k.prefix = KeyPrefix(std::string_view(k.text, n));
  }
  return keys;
}

inline constexpr std::array<SmallIoKey, 256> kSmallIoKeys = MakeSmallIoKeys();
static_assert(kSmallIoKeys[0].view() == "io0" && kSmallIoKeys[78].view() == "io78" &&
              kSmallIoKeys[255].view() == "io255");

// rank[id]: the position of "io<id>" among "io0".."io255" in string order
// ("io1" < "io10" < "io100" < "io101" < ... < "io11"); id_at is its inverse.
struct SmallIoOrder {
  std::array<uint8_t, 256> rank{};
  std::array<uint8_t, 256> id_at{};
};

// Decimal strings sort as a preorder walk of their digits ("1", "10",
// "100".."109", "11", ...), so the order is built directly rather than by
// comparing every pair (which also exceeds clang's constexpr step limit).
constexpr SmallIoOrder MakeSmallIoOrder() {
  SmallIoOrder order;
  size_t rank = 0;
  auto place = [&](size_t id) {
    order.rank[id] = static_cast<uint8_t>(rank);
    order.id_at[rank] = static_cast<uint8_t>(id);
    ++rank;
  };
  place(0);
  for (size_t a = 1; a <= 9; ++a) {
    place(a);
    for (size_t b = 0; b <= 9; ++b) {
      place(a * 10 + b);
      for (size_t c = 0; c <= 9; ++c) {
        if ((a * 10 + b) * 10 + c < 256) place((a * 10 + b) * 10 + c);
      }
    }
  }
  return order;
}

inline constexpr SmallIoOrder kSmallIoOrder = MakeSmallIoOrder();
static_assert(kSmallIoOrder.id_at[0] == 0 && kSmallIoOrder.id_at[1] == 1 && kSmallIoOrder.id_at[2] == 10 &&
              kSmallIoOrder.id_at[3] == 100 && kSmallIoOrder.id_at[255] == 99);

}  // namespace fleetd::teltonika
