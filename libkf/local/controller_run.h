#pragma once
// What each controller process of the local target (supervisor.cpp's
// training jobs and notebooks, batch_job.cpp's Jobs) starts from: its run's
// directory, plan.json and object.json, the run's name and the metadata
// store. A store that cannot be opened is said on stderr and the run goes
// on unrecorded; so does a store write that fails.

#include "libkf/local/plan.h"
#include "libkf/local/run_dir.h"
#include "libkf/local/supervisor.h"
#include "libkf/metadata/runs.h"
#include "libkf/util/json.h"

#include <functional>
#include <memory>
#include <string>

namespace kf::local {

class ControllerRun {
protected:
  explicit ControllerRun(const SuperviseOptions& o);

  // A line on stderr (the controller's log), time-stamped.
  static void say(const std::string& msg);
  // f(the store); nothing without one, a failure said and otherwise ignored.
  void metadata(const std::function<void(metadata::Runs&)>& f);
  // An event about one of the run's pods (kf status RUN lists m_events, as a
  // cluster's Events; local.json carries them), said in the log too.
  void event(const std::string& type, const std::string& reason, const std::string& pod, const std::string& message);

  SuperviseOptions m_o;
  RunDir m_dir;
  JobPlan m_plan;
  Json m_object;
  std::string m_run; // metadata.name
  std::unique_ptr<metadata::Runs> m_runs;
  Json m_events = Json::array();
};

} // namespace kf::local
