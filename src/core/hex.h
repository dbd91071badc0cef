// Hex text <-> bytes, for the decode tool, tests and logs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fleetd {

// Case-insensitive; ignores spaces and a leading "0x". nullopt on odd length
// or a non-hex character.
std::optional<std::vector<uint8_t>> ParseHex(std::string_view text);
std::string ToHex(std::span<const uint8_t> bytes);  // lowercase

}  // namespace fleetd
