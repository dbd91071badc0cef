// scrypt via EVP_PBE_scrypt, salts and secrets via RAND_bytes.
#include "api/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <vector>

#include "api/base64url.h"

namespace fleetd::api {
namespace {

constexpr size_t kSaltLength = 16;
constexpr size_t kHashLength = 32;
constexpr std::string_view kScheme = "scrypt";

bool ParamsInRange(const ScryptParams& p) {
  return p.log2_n >= 10 && p.log2_n <= 20 && p.r >= 1 && p.r <= 32 && p.p >= 1 && p.p <= 4;
}

std::optional<std::string> Scrypt(std::string_view password, std::string_view salt, const ScryptParams& p) {
  uint64_t n = uint64_t{1} << p.log2_n;
  // OpenSSL needs ~128*r*N bytes for V plus 128*r*p for B; its default cap
  // (32 MiB) is just below N=2^15, r=8, so allow the real need plus slack.
  uint64_t maxmem = 128 * static_cast<uint64_t>(p.r) * (n + static_cast<uint64_t>(p.p) + 2) + (1 << 20);
  std::string out(kHashLength, '\0');
  if (EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                     salt.size(), n, static_cast<uint64_t>(p.r), static_cast<uint64_t>(p.p), maxmem,
                     reinterpret_cast<unsigned char*>(out.data()), out.size()) != 1) {
    return std::nullopt;
  }
  return out;
}

std::optional<int> ParseInt(std::string_view text) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password, const ScryptParams& params) {
  if (!ParamsInRange(params)) return Status(StatusCode::kInvalidArgument, "scrypt parameters out of range");
  std::string salt(kSaltLength, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1) {
    return Status(StatusCode::kInternal, "RAND_bytes failed");
  }
  auto hash = Scrypt(password, salt, params);
  if (!hash) return Status(StatusCode::kInternal, "scrypt failed");
  return std::string(kScheme) + "$" + std::to_string(params.log2_n) + "$" + std::to_string(params.r) + "$" +
         std::to_string(params.p) + "$" + Base64UrlEncode(salt) + "$" + Base64UrlEncode(*hash);
}

bool VerifyPassword(std::string_view password, std::string_view encoded) {
  auto parts = Split(encoded, '$');
  if (parts.size() != 6 || parts[0] != kScheme) return false;
  auto log2_n = ParseInt(parts[1]);
  auto r = ParseInt(parts[2]);
  auto p = ParseInt(parts[3]);
  if (!log2_n || !r || !p) return false;
  ScryptParams params{*log2_n, *r, *p};
  if (!ParamsInRange(params)) return false;
  auto salt = Base64UrlDecode(parts[4]);
  auto want = Base64UrlDecode(parts[5]);
  if (!salt || salt->empty() || !want || want->size() != kHashLength) return false;
  auto got = Scrypt(password, *salt, params);
  if (!got) return false;
  return CRYPTO_memcmp(got->data(), want->data(), kHashLength) == 0;
}

Result<std::string> GenerateSecret(size_t bytes) {
  if (bytes == 0 || bytes > 1024) return Status(StatusCode::kInvalidArgument, "secret size out of range");
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1) {
    return Status(StatusCode::kInternal, "RAND_bytes failed");
  }
  return Base64UrlEncode(raw);
}

}  // namespace fleetd::api
