// Runs: kf's runs as MLMD executions (run_record.cpp maps the records).
#include "libkf/metadata/runs.h"

#include <algorithm>
#include <map>
#include <memory>

#include "libkf/metadata/run_record.h"
#include "libkf/metadata/store.h"

namespace kf::metadata {
namespace {

using namespace detail;

Execution find_run(Store& s, const std::string& run) {
  auto e = s.find_execution(k_run_type, run);
  if (!e) throw Error("no run named " + run);
  return *e;
}

} // namespace

namespace detail {

std::int64_t artifact_id(Store& s, const ArtifactRecord& artifact) {
  for (const auto& a : s.artifacts_by_uri(artifact.type, artifact.uri))
    if (string_property(a.properties, "sha256") == artifact.sha256) return a.id;
  return s.put_artifact(to_artifact(artifact));
}

} // namespace detail

namespace {

std::int64_t project_context(Store& s, const std::string& project) {
  if (auto c = s.find_context(k_project_type, project)) return c->id;
  return s.put_context({0, k_project_type, project, 0, 0, {}, {}});
}

} // namespace

Runs::Runs(const std::filesystem::path& db_path) : m_store(std::make_unique<Store>(db_path)) {
  m_store->put_type(TypeKind::Context, k_project_type, {});
  m_store->put_type(TypeKind::Execution, k_run_type, run_properties());
  m_store->put_type(TypeKind::Execution, k_step_type, step_properties());
  m_store->put_type(TypeKind::Context, k_pipeline_run_type, {});
  for (const auto& t : artifact_types()) m_store->put_type(TypeKind::Artifact, t, artifact_properties());
}

Runs::~Runs() = default;

int Runs::schema_version() const { return m_store->schema_version(); }

void Runs::start(const RunRecord& run) {
  if (run.name.empty()) throw Error("run name is empty");
  RunRecord r = run;
  if (r.state.empty()) r.state = "Created";
  check_state(r.state);
  m_store->write([&] {
    Execution e = to_execution(r);
    std::int64_t id = 0;
    try {
      id = m_store->put_execution(e);
    } catch (const AlreadyExists&) {
      throw Error("run " + run.name + " already exists");
    }
    if (!r.project.empty()) m_store->put_association(project_context(*m_store, r.project), id);
  });
}

std::string Runs::next_name(const std::string& prefix) {
  if (prefix.empty()) throw Error("run name prefix is empty");
  std::int64_t highest = 0;
  std::string stem = prefix + "-";
  for (const auto& name : m_store->execution_names(k_run_type, stem)) {
    std::string digits = name.substr(stem.size());
    auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    if (digits.empty() || digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), is_digit)) continue;
    highest = std::max<std::int64_t>(highest, std::stoll(digits));
  }
  return stem + std::to_string(highest + 1);
}

void Runs::set_state(const std::string& run, const std::string& state, const std::string& message) {
  check_state(state);
  m_store->write([&] {
    Execution e = find_run(*m_store, run);
    e.properties["state"] = state;
    e.properties["message"] = message;
    e.last_known_state = mlmd_state(state);
    m_store->put_execution(e);
  });
}

void Runs::add_epoch(const std::string& run, const EpochRecord& epoch) {
  auto values = epoch_metrics(run, epoch);
  m_store->write([&] { m_store->put_metrics(find_run(*m_store, run).id, epoch.epoch, values); });
}

void Runs::add_artifact(const std::string& run, const ArtifactRecord& artifact) {
  check_artifact(artifact);
  m_store->write([&] {
    Execution e = find_run(*m_store, run);
    const std::int64_t id = artifact_id(*m_store, artifact);
    EventType type = artifact.direction == "input" ? EventType::Input : EventType::Output;
    m_store->put_event({id, e.id, type, 0});
    for (auto context : m_store->contexts_of_execution(e.id)) m_store->put_attribution(context, id);
  });
}

std::optional<RunRecord> Runs::get(const std::string& run) const {
  return m_store->read([&]() -> std::optional<RunRecord> {
    auto e = m_store->find_execution(k_run_type, run);
    if (!e) return std::nullopt;
    RunRecord r = to_record(*e);
    r.epochs = to_epochs(m_store->metrics(e->id));
    if (!r.epochs.empty()) r.final_metrics = r.epochs.back().values;
    std::vector<std::pair<Event, Artifact>> linked;
    for (const auto& ev : m_store->events_of_execution(e->id))
      linked.emplace_back(ev, *m_store->get_artifact(ev.artifact_id));
    std::stable_sort(linked.begin(), linked.end(), [](const auto& a, const auto& b) {
      bool ao = a.first.type == EventType::Output, bo = b.first.type == EventType::Output;
      if (ao != bo) return bo;
      return ao && a.first.time_ms < b.first.time_ms;
    });
    for (const auto& [ev, a] : linked) r.artifacts.push_back(to_artifact_record(a, ev));
    return r;
  });
}

std::vector<RunRecord> Runs::list() const {
  return m_store->read([&] {
    auto runs = m_store->executions(k_run_type);
    std::stable_sort(runs.begin(), runs.end(), [](const Execution& a, const Execution& b) {
      if (a.create_time_ms != b.create_time_ms) return a.create_time_ms > b.create_time_ms;
      return a.id > b.id;
    });
    std::map<std::int64_t, Json> last;
    for (const auto& m : m_store->last_epoch_metrics()) {
      auto& j = last.try_emplace(m.execution_id, Json::object()).first->second;
      j[m.name] = m.value;
    }
    std::vector<RunRecord> out;
    for (const auto& e : runs) {
      RunRecord r = to_record(e);
      r.object = Json::object();
      if (auto it = last.find(e.id); it != last.end()) r.final_metrics = it->second;
      out.push_back(std::move(r));
    }
    return out;
  });
}

bool Runs::remove(const std::string& run) {
  return m_store->write([&] {
    auto e = m_store->find_execution(k_run_type, run);
    if (!e) return false;
    std::vector<std::int64_t> executions = {e->id};
    const auto pipeline = m_store->find_context(k_pipeline_run_type, run);
    if (pipeline)
      for (const auto id : m_store->executions_of_context(pipeline->id))
        if (id != e->id) executions.push_back(id); // its steps
    std::vector<Event> events;
    for (const auto id : executions) {
      for (const auto& ev : m_store->events_of_execution(id)) events.push_back(ev);
      m_store->remove_execution(id);
    }
    if (pipeline) m_store->remove_context(pipeline->id);
    for (const auto& ev : events)
      if (m_store->events_of_artifact(ev.artifact_id).empty()) m_store->remove_artifact(ev.artifact_id);
    return true;
  });
}

std::vector<Runs::Link> Runs::lineage(const std::string& run) const {
  return m_store->read([&] {
    Execution e = find_run(*m_store, run);
    std::vector<Link> out;
    auto mine = m_store->events_of_execution(e.id);
    std::stable_partition(mine.begin(), mine.end(), [](const Event& ev) { return ev.type == EventType::Input; });
    for (const auto& ev : mine) {
      bool input = ev.type == EventType::Input;
      EventType wanted = input ? EventType::Output : EventType::Input;
      auto uri = m_store->get_artifact(ev.artifact_id)->uri;
      for (const auto& other : m_store->events_of_artifact(ev.artifact_id)) {
        if (other.execution_id == e.id || other.type != wanted) continue;
        auto x = m_store->get_execution(other.execution_id);
        if (!x || x->type != k_run_type) continue;
        Link link{x->name, uri, input ? "produced-input" : "consumed-output"};
        auto same = [&](const Link& l) {
          return l.run == link.run && l.artifact_uri == link.artifact_uri && l.relation == link.relation;
        };
        if (std::none_of(out.begin(), out.end(), same)) out.push_back(std::move(link));
      }
    }
    return out;
  });
}

} // namespace kf::metadata
