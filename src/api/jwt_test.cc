#include "api/jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api/base64url.h"

namespace fleetd::api {
namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
constexpr int64_t kNow = 1'800'000'000;

JwtClaims Claims() {
  JwtClaims c;
  c.subject = "7";
  c.tenant_id = 3;
  c.tenant_name = "acme";
  c.role = Role::kAdmin;
  c.issued_at = kNow;
  c.expires_at = kNow + 3600;
  return c;
}

std::string Sign(const JwtClaims& c = Claims()) {
  auto token = SignJwt(c, kSecret);
  EXPECT_TRUE(token.ok());
  return token.ok() ? *token : "";
}

// Signs arbitrary header and payload text, to reach checks after the signature.
std::string SignRaw(const std::string& header, const std::string& payload) {
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), len));
}

// Replaces part `index` (0 header, 1 payload, 2 signature) of a token.
std::string WithPart(const std::string& token, int index, const std::string& part) {
  size_t d1 = token.find('.');
  size_t d2 = token.find('.', d1 + 1);
  std::string parts[3] = {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)};
  parts[index] = part;
  return parts[0] + "." + parts[1] + "." + parts[2];
}

TEST(JwtTest, RoundTrip) {
  auto claims = VerifyJwt(Sign(), kSecret, kNow + 10);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ(claims->subject, "7");
  EXPECT_EQ(claims->tenant_id, 3);
  EXPECT_EQ(claims->tenant_name, "acme");
  EXPECT_EQ(claims->role, Role::kAdmin);
  EXPECT_EQ(claims->issued_at, kNow);
  EXPECT_EQ(claims->expires_at, kNow + 3600);
}

TEST(JwtTest, RejectsExpired) {
  auto r = VerifyJwt(Sign(), kSecret, kNow + 3600);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(), "token expired");
}

TEST(JwtTest, RejectsWrongSecret) {
  auto r = VerifyJwt(Sign(), "another-secret-another-secret!!", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "bad token signature");
}

TEST(JwtTest, RejectsTamperedPayload) {
  std::string token = Sign();
  JwtClaims viewer = Claims();
  viewer.tenant_id = 4;  // someone else's tenant
  std::string other = Sign(viewer);
  size_t d1 = other.find('.');
  std::string payload = other.substr(d1 + 1, other.find('.', d1 + 1) - d1 - 1);
  auto r = VerifyJwt(WithPart(token, 1, payload), kSecret, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
}

TEST(JwtTest, RejectsTamperedSignature) {
  std::string token = Sign();
  token.back() = token.back() == 'A' ? 'Q' : 'A';
  EXPECT_FALSE(VerifyJwt(token, kSecret, kNow).ok());
}

TEST(JwtTest, RejectsAlgNoneAndOthers) {
  std::string token = Sign();
  for (const char* header : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"HS512","typ":"JWT"})",
                             R"({"alg":"RS256"})", R"({"alg":"hs256"})", R"({"typ":"JWT"})", R"({"alg":1})"}) {
    auto r = VerifyJwt(WithPart(token, 0, Base64UrlEncode(header)), kSecret, kNow);
    ASSERT_FALSE(r.ok()) << header;
    EXPECT_EQ(r.status().message(), "token alg must be HS256") << header;
  }
  // The classic "none" token: empty signature.
  auto none = WithPart(WithPart(token, 0, Base64UrlEncode(R"({"alg":"none"})")), 2, "");
  EXPECT_FALSE(VerifyJwt(none, kSecret, kNow).ok());
}

TEST(JwtTest, RejectsGarbage) {
  for (std::string garbage : {"", ".", "..", "...", "a.b.c", "not a token", "a.b", "a.b.c.d",
                              "eyJhbGciOiJIUzI1NiJ9.e30.", "\xff\xfe.\x00.x"}) {
    auto r = VerifyJwt(garbage, kSecret, kNow);
    ASSERT_FALSE(r.ok()) << garbage;
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
    EXPECT_FALSE(r.status().message().empty());
  }
}

TEST(JwtTest, RejectsHugeToken) {
  std::string huge = Sign() + std::string(kMaxJwtLength, 'A');
  auto r = VerifyJwt(huge, kSecret, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "token too long");
}

TEST(JwtTest, EveryRoleRoundTrips) {
  for (Role role : {Role::kAdmin, Role::kViewer, Role::kOperator}) {
    JwtClaims c = Claims();
    c.role = role;
    auto token = SignJwt(c, kSecret);
    ASSERT_TRUE(token.ok());
    auto back = VerifyJwt(*token, kSecret, kNow);
    ASSERT_TRUE(back.ok()) << RoleName(role);
    EXPECT_EQ(back->role, role) << RoleName(role);
  }
}

TEST(JwtTest, RejectsMistypedClaimsEvenWhenSigned) {
  const char* header = R"({"alg":"HS256","typ":"JWT"})";
  EXPECT_TRUE(VerifyJwt(SignRaw(header, R"({"sub":"1","tenant_id":3,"role":"viewer","iat":1,"exp":9999999999})"),
                        kSecret, kNow)
                  .ok());
  for (const char* payload : {
           R"({"sub":"1","tenant_id":"3","role":"admin","iat":1,"exp":9999999999})",
           R"({"sub":1,"tenant_id":3,"role":"admin","iat":1,"exp":9999999999})",
           R"({"sub":"1","tenant_id":3,"role":"root","iat":1,"exp":9999999999})",
           R"({"sub":"1","tenant_id":3,"role":"Operator","iat":1,"exp":9999999999})",
           R"({"sub":"1","tenant_id":3,"role":"operator ","iat":1,"exp":9999999999})",
           R"({"sub":"1","tenant_id":3,"role":"admin","iat":1})",
           R"({"sub":"1","tenant_id":3,"role":"admin","iat":1,"exp":9.9e9})",
           R"([1,2,3])",
           "not json",
       }) {
    auto r = VerifyJwt(SignRaw(header, payload), kSecret, kNow);
    ASSERT_FALSE(r.ok()) << payload;
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  }
}

TEST(JwtTest, RefusesShortSecrets) {
  EXPECT_FALSE(SignJwt(Claims(), "short").ok());
  EXPECT_FALSE(VerifyJwt(Sign(), "", kNow).ok());
}

}  // namespace
}  // namespace fleetd::api
