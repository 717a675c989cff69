#pragma once
// SQLite, opened on first use (loader.h): lib::sqlite().step(stmt) for sqlite3_step(stmt).
#include <sqlite3.h>

#include "libkf/lib/loader.h"

#define KF_SQLITE_FUNCTIONS(X, P)                                                                                     \
  X(P, open_v2) X(P, close) X(P, busy_timeout) X(P, extended_result_codes) X(P, exec) X(P, errmsg)                    \
  X(P, errstr) X(P, prepare_v2) X(P, step) X(P, finalize) X(P, changes) X(P, last_insert_rowid)                       \
  X(P, bind_double) X(P, bind_int64) X(P, bind_null) X(P, bind_text64) X(P, column_type) X(P, column_bytes)           \
  X(P, column_double) X(P, column_int64) X(P, column_text)

namespace kf::lib {

struct Sqlite {
  KF_SQLITE_FUNCTIONS(KF_LIB_FIELD, sqlite3_)
};

const Sqlite& sqlite();

} // namespace kf::lib
