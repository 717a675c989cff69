// Runs: the steps of a pipeline run (runs.h), as MLMD executions of type
// kf.Step in the run's kf.PipelineRun context.
#include <algorithm>
#include <deque>
#include <set>

#include "libkf/metadata/run_record.h"
#include "libkf/metadata/runs.h"
#include "libkf/metadata/store.h"

namespace kf::metadata {

using namespace detail;

void Runs::add_step(const std::string& run, const StepRecord& step) {
  if (step.node.empty()) throw Error("run " + run + ": a step without a node id");
  for (const auto& a : step.artifacts) check_artifact(a);
  m_store->write([&] {
    const auto owner = m_store->find_execution(k_run_type, run);
    if (!owner) throw Error("no run named " + run);
    std::int64_t context = 0;
    if (const auto c = m_store->find_context(k_pipeline_run_type, run)) context = c->id;
    else context = m_store->put_context({0, k_pipeline_run_type, run, 0, 0, {}, {}});
    m_store->put_association(context, owner->id);
    Execution e = to_execution(run, step);
    if (const auto existing = m_store->find_execution(k_step_type, e.name)) e.id = existing->id;
    e.id = m_store->put_execution(e);
    m_store->put_association(context, e.id);
    for (const auto project : m_store->contexts_of_execution(owner->id))
      if (project != context) m_store->put_association(project, e.id);
    for (const auto& a : step.artifacts) {
      const std::int64_t id = artifact_id(*m_store, a);
      m_store->put_event({id, e.id, a.direction == "input" ? EventType::Input : EventType::Output, 0});
      m_store->put_attribution(context, id);
    }
  });
}

void Runs::add_steps(const std::string& run, const std::vector<StepRecord>& steps) {
  m_store->write([&] {
    for (const auto& s : steps) add_step(run, s);
  });
}

std::vector<StepRecord> Runs::steps(const std::string& run) const {
  return m_store->read([&] {
    std::vector<StepRecord> out;
    const auto context = m_store->find_context(k_pipeline_run_type, run);
    if (!context) return out;
    auto ids = m_store->executions_of_context(context->id);
    std::sort(ids.begin(), ids.end()); // recording order
    for (const auto id : ids) {
      const auto e = m_store->get_execution(id);
      if (!e || e->type != k_step_type) continue;
      StepRecord s = to_step(*e);
      auto events = m_store->events_of_execution(id);
      std::stable_partition(events.begin(), events.end(), [](const Event& ev) { return ev.type == EventType::Input; });
      for (const auto& ev : events)
        if (const auto a = m_store->get_artifact(ev.artifact_id)) s.artifacts.push_back(to_artifact_record(*a, ev));
      out.push_back(std::move(s));
    }
    return out;
  });
}

std::vector<Origin> origins(const std::vector<StepRecord>& steps, const std::string& sha256) {
  const auto writer = [&](const std::string& digest) -> const StepRecord* {
    const StepRecord* found = nullptr;
    for (const auto& s : steps)
      for (const auto& a : s.artifacts)
        if (a.direction == "output" && a.sha256 == digest && (!found || (found->cached && !s.cached))) found = &s; // one that ran first
    return found;
  };
  const auto name_of = [&](const std::string& digest) {
    for (const auto& s : steps)
      for (const auto& a : s.artifacts)
        if (a.sha256 == digest) return a.name;
    return std::string();
  };
  std::vector<Origin> out;
  std::set<std::string> seen{sha256};
  std::deque<std::pair<std::string, int>> todo{{sha256, 0}};
  while (!todo.empty()) {
    const std::string digest = todo.front().first; // not a structured binding: lambdas below capture it
    const int depth = todo.front().second;
    todo.pop_front();
    const StepRecord* w = writer(digest);
    Origin o{depth, name_of(digest), digest, w ? w->name : "", w && w->cached};
    if (w) {
      const auto written = std::find_if(w->artifacts.begin(), w->artifacts.end(), [&](const ArtifactRecord& a) {
        return a.direction == "output" && a.sha256 == digest;
      });
      o.artifact = written->name;
      for (const auto& a : w->artifacts)
        if (a.direction == "input" && seen.insert(a.sha256).second) todo.emplace_back(a.sha256, depth + 1);
    }
    out.push_back(std::move(o));
  }
  return out;
}

} // namespace kf::metadata
