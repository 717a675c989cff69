#pragma once
// A tiny RAII layer over the SQLite C API: one Db (connection) and the
// statements prepared on it. Values always go through bound parameters,
// never into SQL text. Every failure is a kf::Error (sql::Failure) that
// names the database file and what was being done.
//
// Db opens the way kf always wants SQLite: WAL journal, 10 s busy timeout,
// foreign keys on, extended result codes. A Db is one connection: use it
// from one thread at a time (each thread or process opens its own).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "libkf/util/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kf::metadata::sql {

// A SQLite failure; code() is SQLite's extended result code.
class Failure : public Error {
public:
  Failure(const std::string& message, int code) : Error(message), m_code(code) {}
  int code() const { return m_code; }

private:
  int m_code;
};

class Stmt;

class Db {
public:
  // Opens (creating if missing) the database file. Throws
  // "cannot open PATH: reason" and "PATH is not a SQLite database".
  explicit Db(const std::filesystem::path& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs SQL text without parameters (one or more statements: DDL, BEGIN, ...).
  void exec(const std::string& sql, const std::string& what);
  // Prepares `sql` and binds `args` to its ?s in order.
  template <typename... Args>
  Stmt query(std::string_view sql, const Args&... args);

  std::int64_t last_insert_id() const;
  int changes() const;
  int user_version();
  const std::filesystem::path& path() const { return m_path; }

  // Throws sql::Failure "PATH: WHAT: sqlite's message" for result code `rc`.
  [[noreturn]] void fail(const std::string& what, int rc) const;

private:
  friend class Stmt;
  void use_wal();
  std::filesystem::path m_path;
  sqlite3* m_db = nullptr;
};

class Stmt {
public:
  Stmt(Db& db, std::string_view sql);
  ~Stmt();
  Stmt(Stmt&& other) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;

  // Parameters are 1-based, as in SQLite.
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, std::int64_t{v}); }
  Stmt& bind(int i, bool v) { return bind(i, std::int64_t{v ? 1 : 0}); }
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, std::nullptr_t);

  // Advances to the next row: true while there is one.
  bool step();
  // Steps through a statement that returns no rows.
  void run();

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;

private:
  Db* m_db;
  sqlite3_stmt* m_stmt = nullptr;
  std::string m_sql;
};

template <typename... Args>
Stmt Db::query(std::string_view sql, const Args&... args) {
  Stmt s(*this, sql);
  int i = 0;
  (s.bind(++i, args), ...);
  return s;
}

} // namespace kf::metadata::sql
