#include "libkf/metadata/sqlite.h"

#include "libkf/lib/sqlite.h"

#include <chrono>
#include <thread>
#include <utility>

namespace kf::metadata::sql {
namespace {

constexpr int k_busy_timeout_ms = 10'000;

} // namespace

Db::Db(const std::filesystem::path& path) : m_path(path) {
  int rc = lib::sqlite().open_v2(path.c_str(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = m_db ? lib::sqlite().errmsg(m_db) : lib::sqlite().errstr(rc);
    lib::sqlite().close(m_db);
    m_db = nullptr;
    throw Failure("cannot open " + path.string() + ": " + reason, rc);
  }
  lib::sqlite().extended_result_codes(m_db, 1);
  lib::sqlite().busy_timeout(m_db, k_busy_timeout_ms);
  try {
    exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", "configuring the connection");
    use_wal();
  } catch (const Failure& e) {
    lib::sqlite().close(m_db);
    m_db = nullptr;
    if ((e.code() & 0xff) == SQLITE_NOTADB) throw Failure(path.string() + " is not a SQLite database", e.code());
    throw;
  }
}

Db::~Db() { lib::sqlite().close(m_db); }

// WAL lets readers run beside one writer; NORMAL sync is safe with WAL (a
// power cut may lose the last commits, never corrupt the file). Switching a
// new file to WAL while another process does the same can report "locked"
// without waiting for the busy timeout, so this waits itself.
void Db::use_wal() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(k_busy_timeout_ms);
  for (;;) {
    int rc = lib::sqlite().exec(m_db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    int primary = rc & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || std::chrono::steady_clock::now() > deadline)
      fail("configuring the connection", rc);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void Db::exec(const std::string& sql, const std::string& what) {
  int rc = lib::sqlite().exec(m_db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(what, rc);
}

std::int64_t Db::last_insert_id() const { return lib::sqlite().last_insert_rowid(m_db); }

int Db::changes() const { return lib::sqlite().changes(m_db); }

int Db::user_version() {
  auto q = query("PRAGMA user_version");
  return q.step() ? static_cast<int>(q.int64(0)) : 0;
}

void Db::fail(const std::string& what, int rc) const {
  std::string message = m_db ? lib::sqlite().errmsg(m_db) : lib::sqlite().errstr(rc);
  throw Failure(m_path.string() + ": " + what + ": " + message, rc);
}

Stmt::Stmt(Db& db, std::string_view sql) : m_db(&db), m_sql(sql) {
  int rc = lib::sqlite().prepare_v2(db.m_db, m_sql.c_str(), static_cast<int>(m_sql.size()), &m_stmt, nullptr);
  if (rc != SQLITE_OK) db.fail("preparing \"" + m_sql + "\"", rc);
}

Stmt::~Stmt() { lib::sqlite().finalize(m_stmt); }

Stmt::Stmt(Stmt&& other) noexcept
    : m_db(other.m_db), m_stmt(std::exchange(other.m_stmt, nullptr)), m_sql(std::move(other.m_sql)) {}

Stmt& Stmt::bind(int i, std::int64_t v) {
  int rc = lib::sqlite().bind_int64(m_stmt, i, v);
  if (rc != SQLITE_OK) m_db->fail("binding parameter " + std::to_string(i), rc);
  return *this;
}

Stmt& Stmt::bind(int i, double v) {
  int rc = lib::sqlite().bind_double(m_stmt, i, v);
  if (rc != SQLITE_OK) m_db->fail("binding parameter " + std::to_string(i), rc);
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  int rc = lib::sqlite().bind_text64(m_stmt, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) m_db->fail("binding parameter " + std::to_string(i), rc);
  return *this;
}

Stmt& Stmt::bind(int i, std::nullptr_t) {
  int rc = lib::sqlite().bind_null(m_stmt, i);
  if (rc != SQLITE_OK) m_db->fail("binding parameter " + std::to_string(i), rc);
  return *this;
}

bool Stmt::step() {
  int rc = lib::sqlite().step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  m_db->fail("running \"" + m_sql + "\"", rc);
}

void Stmt::run() {
  while (step()) {
  }
}

bool Stmt::is_null(int col) const { return lib::sqlite().column_type(m_stmt, col) == SQLITE_NULL; }

std::int64_t Stmt::int64(int col) const { return lib::sqlite().column_int64(m_stmt, col); }

double Stmt::real(int col) const { return lib::sqlite().column_double(m_stmt, col); }

std::string Stmt::text(int col) const {
  const auto* p = lib::sqlite().column_text(m_stmt, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(lib::sqlite().column_bytes(m_stmt, col)));
}

} // namespace kf::metadata::sql
