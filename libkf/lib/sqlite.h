#pragma once
// SQLite, opened on first use (loader.h): lib::sqlite().step(stmt) for sqlite3_step(stmt).
#include <sqlite3.h>

#include "libkf/lib/loader.h"

#define KF_SQLITE_FUNCTIONS(X)                                                                                       \
  X(open_v2) X(close) X(busy_timeout) X(extended_result_codes) X(exec) X(errmsg) X(errstr) X(prepare_v2) X(step)    \
  X(finalize) X(changes) X(last_insert_rowid) X(bind_double) X(bind_int64) X(bind_null) X(bind_text64)              \
  X(column_type) X(column_bytes) X(column_double) X(column_int64) X(column_text)

namespace kf::lib {

struct Sqlite {
#define KF_SQLITE_FIELD(name) KF_LIB_FIELD(sqlite3_, name)
  KF_SQLITE_FUNCTIONS(KF_SQLITE_FIELD)
#undef KF_SQLITE_FIELD
};

const Sqlite& sqlite();

} // namespace kf::lib
