#pragma once
// The metadata database's schema and its migrations. PRAGMA user_version is
// the schema version; migrations() lists the steps, oldest first, each
// taking the database from version-1 to version. A step, once released, is
// never edited: a change is a new step.

#include <string>
#include <vector>

#include "libkf/metadata/sqlite.h"

namespace kf::metadata::schema {

struct Migration {
  int version;          // the version this step produces
  std::string summary;  // what it does, for humans
  std::string sql;      // run inside the migration's transaction
};

const std::vector<Migration>& migrations();
int current_version();

// Brings `db` up to current_version() in one IMMEDIATE transaction (so two
// processes opening a new database at once migrate it once). Throws
// "PATH has schema version N; this kf knows up to M: upgrade kf" for a newer
// database and "PATH: migrating to schema version N: reason" when a step fails
// (nothing of the failed migration is kept).
void migrate(sql::Db& db);

} // namespace kf::metadata::schema
