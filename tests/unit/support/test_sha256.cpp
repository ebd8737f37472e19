#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/error.h"
#include "support/sha256.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, FileDigestsMatchFipsVectors) {
  test::TempDir dir;
  std::ofstream(dir / "abc", std::ios::binary) << "abc";
  EXPECT_EQ(sha256_file(dir / "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::ofstream(dir / "empty", std::ios::binary).flush();
  EXPECT_EQ(sha256_file(dir / "empty"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // One million 'a' (FIPS 180-2 appendix B.3): spans several read chunks.
  std::ofstream(dir / "million", std::ios::binary) << std::string(1'000'000, 'a');
  EXPECT_EQ(sha256_file(dir / "million"), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, AMissingFileIsAUserError) {
  test::TempDir dir;
  EXPECT_THROW(sha256_file(dir / "nope.onnx"), UserError);
  EXPECT_THROW(sha256_file(dir.path()), UserError);  // a folder is not a file
}

TEST(Sha256, PieceByPieceEqualsAllAtOnce) {
  const std::string text = "The quick brown fox jumps over the lazy dog";
  Sha256 pieces;
  for (std::size_t i = 0; i < text.size(); i += 5) pieces.update(text.data() + i, std::min<std::size_t>(5, text.size() - i));
  EXPECT_EQ(pieces.hex(), sha256_hex(text));
  EXPECT_EQ(sha256_hex(text), "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
}

}  // namespace
}  // namespace wb
