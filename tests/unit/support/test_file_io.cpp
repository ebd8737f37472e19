#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "support/error.h"
#include "support/file_io.h"
#include "tests/support/temp_dir.h"
#include "tests/support/user_error_testing.h"

namespace wb {
namespace {

using testing::HasSubstr;

TEST(ReadFileBytes, ReadsEveryByteIncludingZeros) {
  const test::TempDir dir;
  const std::string bytes = std::string("a\0b\xff", 4) + std::string(100000, 'x');
  std::ofstream(dir / "f", std::ios::binary) << bytes;
  EXPECT_EQ(read_file_bytes(dir / "f"), bytes);
  std::ofstream(dir / "empty", std::ios::binary).flush();
  EXPECT_EQ(read_file_bytes(dir / "empty"), "");
}

TEST(ReadFileBytes, AMissingFileOrAFolderIsAUserErrorSayingWhich) {
  const test::TempDir dir;
  EXPECT_THAT(test::user_error_of([&] { read_file_bytes(dir / "nope.onnx"); }), HasSubstr("nope.onnx: no such file"));
  EXPECT_THAT(test::user_error_of([&] { read_file_bytes(dir.path()); }), HasSubstr("a directory, not a file"));
}

TEST(CheckOutputFolder, AFolderToBeMadeUnderAWritableOneIsFine) {
  const test::TempDir dir;
  EXPECT_NO_THROW(check_output_folder(dir / "a" / "b", "-o"));
  EXPECT_FALSE(std::filesystem::exists(dir / "a"));  // checks, creates nothing
  create_output_folder(dir / "a" / "b", "-o");
  EXPECT_TRUE(std::filesystem::is_directory(dir / "a" / "b"));
}

TEST(CheckOutputFolder, AFileInTheWayIsAUserErrorNamingTheOption) {
  const test::TempDir dir;
  std::ofstream(dir / "file").flush();
  EXPECT_THAT(test::user_error_of([&] { check_output_folder(dir / "file", "-o"); }), HasSubstr("-o names a file, not a folder"));
  EXPECT_THAT(test::user_error_of([&] { check_output_folder(dir / "file" / "sub", "-o"); }), HasSubstr("-o lies under a file"));
  EXPECT_THROW(create_output_folder(dir / "file" / "sub", "-o"), UserError);
}

TEST(CheckOutputFile, NeedsAnExistingFolderAndNotAFolderItself) {
  const test::TempDir dir;
  EXPECT_NO_THROW(check_output_file(dir / "out.json", "--json"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out.json"));
  EXPECT_THAT(test::user_error_of([&] { check_output_file(dir.path(), "--json"); }), HasSubstr("--json names a folder"));
  EXPECT_THAT(test::user_error_of([&] { check_output_file(dir / "missing" / "out.json", "--json"); }),
              HasSubstr("does not exist"));
}

TEST(CheckInputFile, MissingOrAFolderIsAUserError) {
  const test::TempDir dir;
  std::ofstream(dir / "in.npy").flush();
  EXPECT_NO_THROW(check_input_file(dir / "in.npy", "--input"));
  EXPECT_THAT(test::user_error_of([&] { check_input_file(dir / "none.npy", "--input"); }), HasSubstr("no such file (--input)"));
  EXPECT_THAT(test::user_error_of([&] { check_input_file(dir.path(), "--input"); }), HasSubstr("--input names a folder"));
}

}  // namespace
}  // namespace wb
