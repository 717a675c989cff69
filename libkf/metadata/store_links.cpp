// Store: events, attributions, associations and kf's metric table.
#include <cmath>
#include <limits>

#include "libkf/util/clock.h"
#include "libkf/metadata/properties.h"
#include "libkf/metadata/store.h"

namespace kf::metadata {
namespace {

std::vector<Event> events(sql::Db& db, const char* column, std::int64_t id) {
  std::vector<Event> out;
  auto q = db.query(std::string("SELECT artifact_id, execution_id, type, milliseconds_since_epoch FROM Event WHERE ") +
                        column + " = ? ORDER BY id",
                    id);
  while (q.step()) out.push_back({q.int64(0), q.int64(1), static_cast<EventType>(q.int64(2)), q.int64(3)});
  return out;
}

std::vector<std::int64_t> ids(sql::Db& db, const std::string& sql, std::int64_t id) {
  std::vector<std::int64_t> out;
  auto q = db.query(sql, id);
  while (q.step()) out.push_back(q.int64(0));
  return out;
}

std::vector<Metric> metric_rows(sql::Stmt& q) {
  std::vector<Metric> out;
  while (q.step()) {
    double v = q.is_null(3) ? std::numeric_limits<double>::quiet_NaN() : q.real(3);
    out.push_back({q.int64(0), static_cast<int>(q.int64(1)), q.text(2), v, q.int64(4)});
  }
  return out;
}

} // namespace

void Store::put_event(const Event& e) {
  write([&] {
    m_db.query("INSERT OR IGNORE INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) "
               "VALUES (?, ?, ?, ?)",
               e.artifact_id, e.execution_id, static_cast<int>(e.type), e.time_ms ? e.time_ms : kf::now_ms())
        .run();
  });
}

void Store::put_attribution(std::int64_t context_id, std::int64_t artifact_id) {
  write([&] {
    m_db.query("INSERT OR IGNORE INTO Attribution (context_id, artifact_id) VALUES (?, ?)", context_id, artifact_id)
        .run();
  });
}

void Store::put_association(std::int64_t context_id, std::int64_t execution_id) {
  write([&] {
    m_db.query("INSERT OR IGNORE INTO Association (context_id, execution_id) VALUES (?, ?)", context_id,
               execution_id)
        .run();
  });
}

std::vector<Event> Store::events_of_execution(std::int64_t execution_id) {
  return read([&] { return events(m_db, "execution_id", execution_id); });
}

std::vector<Event> Store::events_of_artifact(std::int64_t artifact_id) {
  return read([&] { return events(m_db, "artifact_id", artifact_id); });
}

std::vector<std::int64_t> Store::artifacts_of_context(std::int64_t context_id) {
  return read([&] { return ids(m_db, "SELECT artifact_id FROM Attribution WHERE context_id = ? ORDER BY id", context_id); });
}

std::vector<std::int64_t> Store::executions_of_context(std::int64_t context_id) {
  return read([&] { return ids(m_db, "SELECT execution_id FROM Association WHERE context_id = ? ORDER BY id", context_id); });
}

std::vector<std::int64_t> Store::contexts_of_artifact(std::int64_t artifact_id) {
  return read([&] { return ids(m_db, "SELECT context_id FROM Attribution WHERE artifact_id = ? ORDER BY id", artifact_id); });
}

std::vector<std::int64_t> Store::contexts_of_execution(std::int64_t execution_id) {
  return read([&] { return ids(m_db, "SELECT context_id FROM Association WHERE execution_id = ? ORDER BY id", execution_id); });
}

void Store::put_metrics(std::int64_t execution_id, int epoch, const std::vector<Metric>& values) {
  write([&] {
    auto now = kf::now_ms();
    m_db.query("UPDATE Execution SET last_update_time_since_epoch = ? WHERE id = ?", now, execution_id).run();
    if (m_db.changes() == 0) throw Error("no execution with id " + std::to_string(execution_id));
    m_db.query("DELETE FROM metric WHERE execution_id = ? AND epoch = ?", execution_id, epoch).run();
    for (const auto& m : values) {
      auto q = m_db.query("INSERT INTO metric (execution_id, epoch, name, value, time_ms) VALUES (?, ?, ?, ?, ?)",
                          execution_id, epoch, m.name, nullptr, m.time_ms ? m.time_ms : now);
      if (!std::isnan(m.value)) q.bind(4, m.value);
      q.run();
    }
  });
}

std::vector<Metric> Store::metrics(std::int64_t execution_id) {
  return read([&] {
    auto q = m_db.query("SELECT execution_id, epoch, name, value, time_ms FROM metric WHERE execution_id = ? "
                        "ORDER BY epoch, id",
                        execution_id);
    return metric_rows(q);
  });
}

std::vector<Metric> Store::last_epoch_metrics() {
  return read([&] {
    auto q = m_db.query("SELECT m.execution_id, m.epoch, m.name, m.value, m.time_ms FROM metric m "
                        "JOIN (SELECT execution_id, MAX(epoch) AS epoch FROM metric GROUP BY execution_id) last "
                        "ON m.execution_id = last.execution_id AND m.epoch = last.epoch "
                        "ORDER BY m.execution_id, m.id");
    return metric_rows(q);
  });
}

} // namespace kf::metadata
