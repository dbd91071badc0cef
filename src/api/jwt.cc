// HS256 signing and verification with OpenSSL's one-shot HMAC.
#include "api/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "api/base64url.h"

namespace fleetd::api {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kSha256Length = 32;

Status Unauthenticated(std::string why) { return Status(StatusCode::kUnauthenticated, std::move(why)); }

std::optional<std::string> HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &out_len) == nullptr ||
      out_len != kSha256Length) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

// Decodes one base64url JSON segment into an object, or nullopt.
std::optional<Json> DecodeSegment(std::string_view segment) {
  auto raw = Base64UrlDecode(segment);
  if (!raw) return std::nullopt;
  Json j = Json::parse(raw->begin(), raw->end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

bool ReadInt(const Json& j, const char* name, int64_t& out) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) return false;
  out = it->get<int64_t>();
  return true;
}

}  // namespace

Result<std::string> SignJwt(const JwtClaims& claims, std::string_view secret) {
  if (secret.size() < kMinJwtSecretLength) {
    return Status(StatusCode::kInvalidArgument, "jwt secret is too short");
  }
  Json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  Json payload = Json::object();
  payload["sub"] = claims.subject;
  payload["tenant_id"] = claims.tenant_id;
  if (!claims.tenant_name.empty()) payload["tenant"] = claims.tenant_name;
  payload["role"] = std::string(RoleName(claims.role));
  payload["iat"] = claims.issued_at;
  payload["exp"] = claims.expires_at;
  auto dump = [](const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); };
  std::string signing_input = Base64UrlEncode(dump(header)) + "." + Base64UrlEncode(dump(payload));
  auto mac = HmacSha256(secret, signing_input);
  if (!mac) return Status(StatusCode::kInternal, "hmac failed");
  return signing_input + "." + Base64UrlEncode(*mac);
}

Result<JwtClaims> VerifyJwt(std::string_view token, std::string_view secret, int64_t now_seconds) {
  if (secret.size() < kMinJwtSecretLength) return Unauthenticated("server has no usable signing key");
  if (token.empty()) return Unauthenticated("empty token");
  if (token.size() > kMaxJwtLength) return Unauthenticated("token too long");
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Unauthenticated("token is not a JWT (want three dot-separated parts)");
  }
  std::string_view header_part = token.substr(0, dot1);
  std::string_view payload_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view signature_part = token.substr(dot2 + 1);

  auto header = DecodeSegment(header_part);
  if (!header) return Unauthenticated("token header is not base64url JSON");
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get_ref<const std::string&>() != "HS256") {
    return Unauthenticated("token alg must be HS256");
  }
  if (auto typ = header->find("typ"); typ != header->end() && (!typ->is_string() || *typ != "JWT")) {
    return Unauthenticated("token typ must be JWT");
  }

  auto signature = Base64UrlDecode(signature_part);
  if (!signature || signature->size() != kSha256Length) return Unauthenticated("bad token signature");
  auto expected = HmacSha256(secret, token.substr(0, dot2));
  if (!expected) return Status(StatusCode::kInternal, "hmac failed");
  if (CRYPTO_memcmp(expected->data(), signature->data(), kSha256Length) != 0) {
    return Unauthenticated("bad token signature");
  }

  // Signed by us from here on, but still typed defensively.
  auto payload = DecodeSegment(payload_part);
  if (!payload) return Unauthenticated("token payload is not base64url JSON");
  JwtClaims claims;
  auto sub = payload->find("sub");
  auto role = payload->find("role");
  if (sub == payload->end() || !sub->is_string() || !ReadInt(*payload, "tenant_id", claims.tenant_id) ||
      role == payload->end() || !role->is_string() || !ReadInt(*payload, "iat", claims.issued_at) ||
      !ReadInt(*payload, "exp", claims.expires_at)) {
    return Unauthenticated("token claims are missing or mistyped");
  }
  claims.subject = sub->get<std::string>();
  auto role_value = RoleFromName(role->get_ref<const std::string&>());
  if (!role_value) return Unauthenticated("token role is unknown");
  claims.role = *role_value;
  if (auto t = payload->find("tenant"); t != payload->end() && t->is_string()) {
    claims.tenant_name = t->get<std::string>();
  }
  if (now_seconds >= claims.expires_at) return Unauthenticated("token expired");
  return claims;
}

}  // namespace fleetd::api
