#pragma once
// A thin RAII layer over SQLite's C API (Debian's libsqlite3-dev): a connection, prepared
// statements with typed binds and columns, and transactions. Errors are UserErrors naming
// the database file and SQLite's message.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wb::sqlite {

class Statement;

class Database {
 public:
  // Opens (create: creating) the file, in WAL mode with a busy timeout, foreign keys on.
  // `kind` names what the file should be in messages ("a sweep's results database"): a
  // folder, or a file that is not SQLite's (its header), is refused as such, never with
  // SQLite's "file is not a database".
  Database(const std::filesystem::path& path, bool create, std::string_view kind);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&& other) noexcept;

  void execute(std::string_view sql);  // one or more statements, no results
  // Runs `create` (the schema) in a write transaction if the file holds no table yet; false
  // when it already had one or another process made the tables first (two processes opening
  // a new file at once: a sweep and a reader of its results).
  bool initialise_if_empty(const std::function<void()>& create);
  Statement prepare(std::string_view sql);
  const std::filesystem::path& path() const { return path_; }
  [[noreturn]] void fail(std::string_view what) const;

 private:
  void enter_wal_mode();

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  friend class Statement;
};

class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;

  // Binds by 1-based index; returns *this to chain.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind_null(int index);

  bool step();  // true while a row is available
  void run();   // step to completion (INSERT, UPDATE, ...)
  void reset();

  bool is_null(int column) const;
  std::int64_t integer(int column) const;
  double real(int column) const;
  std::string text(int column) const;

 private:
  Database* db_;
  sqlite3_stmt* statement_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back when destroyed without commit().
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace wb::sqlite
