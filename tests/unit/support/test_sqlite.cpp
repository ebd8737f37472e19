#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/error.h"
#include "support/sqlite.h"
#include "tests/support/temp_dir.h"

namespace wb::sqlite {
namespace {

using testing::HasSubstr;

TEST(Sqlite, TypedBindsAndColumnsRoundTrip) {
  const test::TempDir dir;
  Database db(dir / "t.db", true, "a test database");
  db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, n TEXT)");
  db.prepare("INSERT INTO t VALUES (?, ?, ?, ?)")
      .bind(1, std::int64_t{-9007199254740993})
      .bind(2, 0.1)
      .bind(3, std::string_view("naïve, \"quoted\""))
      .bind_null(4)
      .run();
  Statement q = db.prepare("SELECT i, r, s, n FROM t");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.integer(0), -9007199254740993);
  EXPECT_EQ(q.real(1), 0.1);
  EXPECT_EQ(q.text(2), "naïve, \"quoted\"");
  EXPECT_TRUE(q.is_null(3));
  EXPECT_FALSE(q.is_null(0));
  EXPECT_FALSE(q.step());
}

TEST(Sqlite, ATransactionNotCommittedIsRolledBack) {
  const test::TempDir dir;
  Database db(dir / "t.db", true, "a test database");
  db.execute("CREATE TABLE t (i INTEGER)");
  {
    Transaction t(db);
    db.execute("INSERT INTO t VALUES (1)");
  }
  {
    Transaction t(db);
    db.execute("INSERT INTO t VALUES (2)");
    t.commit();
  }
  Statement q = db.prepare("SELECT group_concat(i) FROM t");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.text(0), "2");
}

TEST(Sqlite, DataPersistsAcrossConnections) {
  const test::TempDir dir;
  {
    Database db(dir / "t.db", true, "a test database");
    db.execute("CREATE TABLE t (s TEXT); INSERT INTO t VALUES ('kept')");
  }
  Database again(dir / "t.db", false, "a test database");
  Statement q = again.prepare("SELECT s FROM t");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.text(0), "kept");
}

TEST(Sqlite, ErrorsAreUserErrorsNamingTheFile) {
  const test::TempDir dir;
  EXPECT_THROW(Database(dir / "missing.db", false, "a test database"), UserError);
  Database db(dir / "t.db", true, "a test database");
  try {
    db.execute("SELEKT 1");
    FAIL() << "bad SQL was accepted";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("t.db"));
  }
}

TEST(Sqlite, AFileThatIsNotSqlitesOrAFolderIsNamedAsSuchNotInSqlitesWords) {
  const test::TempDir dir;
  {
    std::ofstream(dir / "notes.db") << "not a database at all, though long enough to hold a header\n";
  }
  const auto message_of = [](const std::filesystem::path& path) {
    try {
      Database db(path, false, "a test database");
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string text = message_of(dir / "notes.db");
  EXPECT_THAT(text, HasSubstr("notes.db: not a SQLite database, so not a test database"));
  EXPECT_THAT(text, testing::Not(HasSubstr("file is not a database")));
  EXPECT_THAT(message_of(dir.path()), HasSubstr(": a directory, not a test database"));
  // An empty file is one SQLite makes a database of.
  { std::ofstream empty(dir / "empty.db"); }
  EXPECT_EQ(message_of(dir / "empty.db"), "");
}

}  // namespace
}  // namespace wb::sqlite
