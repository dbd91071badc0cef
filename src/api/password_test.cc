#include "api/password.h"

#include <gtest/gtest.h>

#include "api/base64url.h"

namespace fleetd::api {
namespace {

TEST(PasswordTest, HashesVerifyAndAreSalted) {
  auto a = HashPassword("correct horse", kTestScryptParams);
  auto b = HashPassword("correct horse", kTestScryptParams);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);  // fresh salt each time
  EXPECT_TRUE(a->starts_with("scrypt$10$8$1$"));
  EXPECT_TRUE(VerifyPassword("correct horse", *a));
  EXPECT_TRUE(VerifyPassword("correct horse", *b));
  EXPECT_FALSE(VerifyPassword("correct horsE", *a));
  EXPECT_FALSE(VerifyPassword("", *a));
}

TEST(PasswordTest, DefaultParametersWork) {
  auto hash = HashPassword("pw");
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_TRUE(hash->starts_with("scrypt$15$8$1$"));
  EXPECT_TRUE(VerifyPassword("pw", *hash));
}

TEST(PasswordTest, RejectsMalformedOrHostileEncodings) {
  auto good = HashPassword("pw", kTestScryptParams);
  ASSERT_TRUE(good.ok());
  std::string salt_and_hash = good->substr(std::string("scrypt$10$8$1$").size());
  for (std::string bad : {
           std::string(""), std::string("pw"), std::string("scrypt$"), "bcrypt$10$8$1$" + salt_and_hash,
           "scrypt$40$8$1$" + salt_and_hash,   // N = 2^40: would exhaust memory
           "scrypt$10$999$1$" + salt_and_hash, "scrypt$10$8$99$" + salt_and_hash,
           "scrypt$-1$8$1$" + salt_and_hash, "scrypt$x$8$1$" + salt_and_hash,
           "scrypt$10$8$1$" + salt_and_hash + "$extra", "scrypt$10$8$1$$" + salt_and_hash.substr(salt_and_hash.find('$') + 1),
           good->substr(0, good->size() - 2),  // truncated hash
       }) {
    EXPECT_FALSE(VerifyPassword("pw", bad)) << bad;
  }
}

TEST(PasswordTest, RejectsOutOfRangeParameters) {
  EXPECT_FALSE(HashPassword("pw", ScryptParams{30, 8, 1}).ok());
  EXPECT_FALSE(HashPassword("pw", ScryptParams{10, 0, 1}).ok());
}

TEST(PasswordTest, GeneratesDistinctSecrets) {
  auto a = GenerateSecret();
  auto b = GenerateSecret();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  auto raw = Base64UrlDecode(*a);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->size(), 32u);
  EXPECT_FALSE(GenerateSecret(0).ok());
}

}  // namespace
}  // namespace fleetd::api
