// The start every local controller process shares (controller_run.h).
#include "libkf/local/controller_run.h"

#include "libkf/util/clock.h"
#include "libkf/util/error.h"

#include <iostream>

namespace kf::local {

ControllerRun::ControllerRun(const SuperviseOptions& o)
    : m_o(o), m_dir{o.run_dir}, m_plan(plan_from_json(*read_json(m_dir.plan()))), m_object(*read_json(m_dir.object())) {
  m_run = m_object["metadata"].value("name", m_plan.name);
  try {
    m_runs = std::make_unique<metadata::Runs>(o.metadata_db);
  } catch (const Error& e) {
    say(std::string("metadata store unavailable, the run is not recorded: ") + e.what());
  }
}

void ControllerRun::say(const std::string& msg) { std::cerr << now_rfc3339() << " " << msg << std::endl; }

void ControllerRun::event(const std::string& type, const std::string& reason, const std::string& pod,
                          const std::string& message) {
  say(reason + ": " + message);
  m_events.push_back({{"type", type}, {"reason", reason}, {"object", "Pod/" + pod}, {"message", message},
                      {"time", now_rfc3339()}, {"count", 1}});
}

void ControllerRun::metadata(const std::function<void(metadata::Runs&)>& f) {
  if (!m_runs) return;
  try {
    f(*m_runs);
  } catch (const std::exception& e) {
    say(std::string("metadata: ") + e.what());
  }
}

} // namespace kf::local
