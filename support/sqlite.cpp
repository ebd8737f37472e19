#include "support/sqlite.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "support/error.h"

namespace wb::sqlite {

namespace {

constexpr int kBusyTimeoutMs = 10000;

// Every SQLite 3 database begins with these 16 bytes (sqlite.org/fileformat.html, 1.3.1); an
// empty file is one SQLite makes a database of.
void require_sqlite_file(const std::filesystem::path& path, std::string_view kind) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw UserError(fmt::format("{}: a directory, not {}", path.string(), kind));
  }
  if (!std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0) return;
  constexpr std::string_view kHeader("SQLite format 3\0", 16);
  std::string head(kHeader.size(), '\0');
  std::ifstream file(path, std::ios::binary);
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (!file || head != kHeader) {
    throw UserError(fmt::format("{}: not a SQLite database, so not {}", path.string(), kind));
  }
}

}  // namespace

Database::Database(const std::filesystem::path& path, bool create, std::string_view kind) : path_(path) {
  require_sqlite_file(path, kind);
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw UserError(fmt::format("{}: cannot open {}: {}", path.string(), kind, message));
  }
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  execute("PRAGMA foreign_keys = ON");
  enter_wal_mode();
  // In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process loses
  // nothing committed (only a power cut can lose the last commits, which a rerun redoes),
  // and a sweep does not wait for a disk flush per result.
  execute("PRAGMA synchronous = NORMAL");
}

// WAL: readers (sweep show) do not block the writer; a kill -9 mid-transaction loses only
// that transaction. The mode is kept in the file, so only the opening of a new (or an old
// rollback-journal) file switches it; SQLite answers that switch with SQLITE_BUSY at once,
// without its busy handler, while another connection opens the same new file (a sweep
// creating its database while `sweep status` or a test polls for it), so it is retried here.
void Database::enter_wal_mode() {
  {
    Statement current(*this, "PRAGMA journal_mode");
    if (current.step() && current.text(0) == "wal") return;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  sqlite3_stmt* statement = nullptr;
  constexpr std::string_view kSql = "PRAGMA journal_mode = WAL";
  if (sqlite3_prepare_v2(db_, kSql.data(), static_cast<int>(kSql.size()), &statement, nullptr) != SQLITE_OK) {
    fail("cannot prepare the switch to WAL mode");
  }
  int status = sqlite3_step(statement);
  while ((status & 0xff) == SQLITE_BUSY && std::chrono::steady_clock::now() < deadline) {
    sqlite3_reset(statement);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    status = sqlite3_step(statement);
  }
  sqlite3_finalize(statement);
  if (status != SQLITE_ROW && status != SQLITE_DONE) {
    fail(fmt::format("cannot switch to WAL mode (another process held the file for {} s)", kBusyTimeoutMs / 1000));
  }
}

bool Database::initialise_if_empty(const std::function<void()>& create) {
  Transaction transaction(*this);
  Statement tables(*this, "SELECT count(*) FROM sqlite_master");
  tables.step();
  if (tables.integer(0) > 0) return false;
  create();
  transaction.commit();
  return true;
}

Database::~Database() { sqlite3_close(db_); }

Database::Database(Database&& other) noexcept : path_(std::move(other.path_)), db_(other.db_) { other.db_ = nullptr; }

void Database::fail(std::string_view what) const {
  throw UserError(fmt::format("{}: {}: {}", path_.string(), what, db_ != nullptr ? sqlite3_errmsg(db_) : "closed"));
}

void Database::execute(std::string_view sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    throw UserError(fmt::format("{}: {}", path_.string(), text));
  }
}

Statement Database::prepare(std::string_view sql) { return Statement(*this, sql); }

Statement::Statement(Database& db, std::string_view sql) : db_(&db) {
  if (sqlite3_prepare_v2(db.db_, sql.data(), static_cast<int>(sql.size()), &statement_, nullptr) != SQLITE_OK) {
    db.fail(fmt::format("cannot prepare '{}'", sql));
  }
}

Statement::~Statement() { sqlite3_finalize(statement_); }

Statement::Statement(Statement&& other) noexcept : db_(other.db_), statement_(other.statement_) {
  other.statement_ = nullptr;
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(statement_, index, value) != SQLITE_OK) db_->fail("bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(statement_, index, value) != SQLITE_OK) db_->fail("bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    db_->fail("bind");
  }
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(statement_, index) != SQLITE_OK) db_->fail("bind");
  return *this;
}

bool Statement::step() {
  const int status = sqlite3_step(statement_);
  if (status == SQLITE_ROW) return true;
  if (status == SQLITE_DONE) return false;
  db_->fail("query failed");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

bool Statement::is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(statement_, column); }
double Statement::real(int column) const { return sqlite3_column_double(statement_, column); }

std::string Statement::text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text),
                                       static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)))
                         : std::string();
}

Transaction::Transaction(Database& db) : db_(db) { db_.execute("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.execute("ROLLBACK");
    } catch (...) {
    }
  }
}

void Transaction::commit() {
  db_.execute("COMMIT");
  done_ = true;
}

}  // namespace wb::sqlite
