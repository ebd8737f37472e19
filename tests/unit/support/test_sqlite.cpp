#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <atomic>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "support/error.h"
#include "support/sqlite.h"
#include "support/sqlite_columns.h"
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

struct Row {
  std::string name;
  int count = 0;
  std::uint64_t big = 0;
  bool flag = false;
  double ratio = 0;
  std::string ignored = "kept";
};

TEST(SqliteColumns, OneListNamesBindsAndReadsARecord) {
  const Columns<Row> columns({{"name", &Row::name},
                              {"count", &Row::count},
                              {"big", &Row::big},
                              {"flag", &Row::flag},
                              {"ratio", &Row::ratio}});
  EXPECT_EQ(columns.names(), "name, count, big, flag, ratio");
  EXPECT_EQ(columns.names("t."), "t.name, t.count, t.big, t.flag, t.ratio");
  EXPECT_EQ(columns.placeholders(), "?, ?, ?, ?, ?");
  const test::TempDir dir;
  Database db(dir / "t.db", true, "a test database");
  db.execute("CREATE TABLE t (id INTEGER, name TEXT, count INTEGER, big INTEGER, flag INTEGER, ratio REAL)");
  const Row written{"layer 3", -7, std::uint64_t{1} << 52, true, 0.25, "not stored"};
  Statement insert = db.prepare("INSERT INTO t (id, " + columns.names() + ") VALUES (?, " + columns.placeholders() + ")");
  insert.bind(1, std::int64_t{42});
  EXPECT_EQ(columns.bind(insert, written, 2), 7);
  insert.run();
  Statement flag = db.prepare("SELECT flag FROM t");
  ASSERT_TRUE(flag.step());
  EXPECT_EQ(flag.integer(0), 1);  // booleans are stored 0 or 1
  Statement q = db.prepare("SELECT id, " + columns.names() + " FROM t");
  ASSERT_TRUE(q.step());
  Row read;
  EXPECT_EQ(columns.read(q, read, 1), 6);
  EXPECT_EQ(q.integer(0), 42);
  EXPECT_EQ(read.name, written.name);
  EXPECT_EQ(read.count, written.count);
  EXPECT_EQ(read.big, written.big);
  EXPECT_TRUE(read.flag);
  EXPECT_EQ(read.ratio, written.ratio);
  EXPECT_EQ(read.ignored, "kept");
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

// A sweep creates its database while `sweep status` (or a test) polls for it: SQLite answers
// the switch to WAL mode of a new file with "database is locked" at once, without waiting,
// while another connection opens it, and both would make the tables of an empty file.
TEST(Sqlite, ConnectionsOpeningANewFileAtOnceAllOpenItAndOneMakesTheTables) {
  const test::TempDir dir;
  constexpr int kRounds = 40;
  constexpr int kConnections = 3;
  for (int round = 0; round < kRounds; ++round) {
    const std::filesystem::path path = dir / ("r" + std::to_string(round) + ".db");
    std::latch start(kConnections);
    std::atomic<int> created{0};
    std::vector<std::string> errors(kConnections);
    std::vector<std::thread> threads;
    for (int c = 0; c < kConnections; ++c) {
      threads.emplace_back([&, c] {
        start.arrive_and_wait();
        try {
          Database db(path, true, "a test database");
          if (db.initialise_if_empty([&] { db.execute("CREATE TABLE t (i INTEGER)"); })) ++created;
          db.execute("INSERT INTO t VALUES (1)");
        } catch (const UserError& e) {
          errors[static_cast<std::size_t>(c)] = e.what();
        }
      });
    }
    for (std::thread& t : threads) t.join();
    for (const std::string& error : errors) ASSERT_EQ(error, "") << "round " << round;
    ASSERT_EQ(created.load(), 1) << "round " << round;
    Database db(path, false, "a test database");
    Statement mode = db.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.text(0), "wal");
    Statement rows = db.prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(rows.step());
    EXPECT_EQ(rows.integer(0), kConnections);
  }
}

}  // namespace
}  // namespace wb::sqlite
