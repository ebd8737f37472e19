// Errors are valid UTF-8 whatever they quote, and a binary file given where text belongs is
// named as one.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/error.h"
#include "support/utf8.h"

namespace wb {
namespace {

using testing::HasSubstr;

TEST(Utf8, WellFormedTextIsKept) {
  const std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n\ttab";
  EXPECT_EQ(valid_utf8(text), text);
}

TEST(Utf8, StrayBytesAndControlsAreEscaped) {
  EXPECT_EQ(valid_utf8("a\xff" "b"), "a\\xffb");
  EXPECT_EQ(valid_utf8("\xc3"), "\\xc3") << "a sequence cut short";
  EXPECT_EQ(valid_utf8("\xc0\xaf"), "\\xc0\\xaf") << "an overlong form";
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "\\xed\\xa0\\x80") << "a surrogate";
  EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80") << "past U+10FFFF";
  EXPECT_EQ(valid_utf8(std::string("x\0y\x1b", 4)), "x\\x00y\\x1b");
}

TEST(Utf8, AUserErrorQuotingBinaryBytesIsValidText) {
  const UserError e(std::string("model.onnx:7: unknown escape character: \x9c"));
  EXPECT_STREQ(e.what(), "model.onnx:7: unknown escape character: \\x9c");
}

TEST(Utf8, BinaryContentIsNamedWhereTextBelongs) {
  EXPECT_NO_THROW(require_text("name: v3\n", "v3.yaml", "a config is YAML"));
  try {
    require_text(std::string("ab\0c", 4), "m.onnx", "a hardware config is a YAML text file");
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("m.onnx: not a text file (byte 2 is \\x00"));
    EXPECT_THAT(e.what(), HasSubstr("a hardware config is a YAML text file"));
  }
}

}  // namespace
}  // namespace wb
