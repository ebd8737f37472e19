// remembered_sha256: a model file seen before is not hashed again while its identity holds,
// and any write since is seen.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/error.h"
#include "support/sha256.h"
#include "tests/support/temp_dir.h"
#include "workbench/file_digest_memo.h"

namespace wb {
namespace {

void write(const std::filesystem::path& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

std::filesystem::path only_memo(const std::filesystem::path& dir) {
  std::filesystem::path found;
  for (const auto& e : std::filesystem::directory_iterator(dir)) found = e.path();
  return found;
}

TEST(FileDigestMemo, ASettledFileIsRememberedAndAnyWriteSinceIsSeen) {
  const test::TempDir dir;
  const auto model = dir / "model.onnx", memos = dir / "memos";
  write(model, "weights v1");
  // 0 s: the file counts as settled at once (the default waits kSettledSeconds).
  EXPECT_EQ(remembered_sha256(model, memos, 0), sha256_file(model));
  const std::filesystem::path memo = only_memo(memos);
  ASSERT_FALSE(memo.empty());
  // The memo is what answers while the identity holds: a planted digest comes back unread.
  std::string identity;
  std::getline(std::ifstream(memo) >> std::ws, identity);
  write(memo, identity + "\n" + std::string(64, 'f') + "\n");
  EXPECT_EQ(remembered_sha256(model, memos, 0), std::string(64, 'f'));
  // The same size rewritten: its change time moves, so it is hashed again.
  write(model, "weights v2");
  EXPECT_EQ(remembered_sha256(model, memos, 0), sha256_file(model));
  EXPECT_NE(sha256_file(model), std::string(64, 'f'));
}

TEST(FileDigestMemo, AFileWrittenJustNowIsHashedButNotRemembered) {
  const test::TempDir dir;
  const auto model = dir / "model.onnx", memos = dir / "memos";
  write(model, "fresh");
  EXPECT_EQ(remembered_sha256(model, memos, 3600), sha256_file(model));
  EXPECT_FALSE(std::filesystem::exists(memos) && !std::filesystem::is_empty(memos));
}

TEST(FileDigestMemo, AFolderWhereTheModelBelongsIsAUserError) {
  const test::TempDir dir;
  EXPECT_THROW(remembered_sha256(dir.path(), dir / "memos", 0), UserError);
}

}  // namespace
}  // namespace wb
