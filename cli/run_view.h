#pragma once
// How runs look on a terminal: the attached display of `kf train` (live
// progress, each replica's state), and the tables of `kf status`.

#include <ostream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "libkf/util/json.h"

namespace kf::cli {

// "1m05s", "3h02m", "12s".
std::string duration_text(double seconds);
// The metrics worth a column: accuracy and loss first, then the rest.
std::string metrics_text(const Json& metrics);

// One run's live state, redrawn in place on a terminal (a few lines) or
// printed as plain lines when something changed (pipes, CI logs).
class ProgressView {
public:
  ProgressView(const Globals& g, std::string run);
  // `object` with status, `details` = LocalTarget::details(); prints if anything changed.
  void update(const Json& object, const Json& details);
  // Clears the live lines (before the summary).
  void finish();

private:
  void draw(const std::vector<std::string>& lines);
  void update_experiment(const Json& object, const Json& details, const std::string& state);
  std::string m_run;
  bool m_tty, m_color;
  std::size_t m_drawn = 0;
  std::string m_last_state;
  int m_last_epoch = 0;
  std::vector<std::string> m_last_lines;
  double m_t0 = 0;       // when the first step was seen
  long m_step0 = -1;     // the global step then
};

// `kf status`: the runs table; `kf status RUN`: one run in detail.
void print_runs_table(const std::vector<Json>& runs, bool color, std::ostream& out);
void print_run_detail(const Json& run, bool color, std::ostream& out);
// A Workflow's node tree (status()'s "nodes": name, type, phase, depth), indented by depth.
void print_workflow_nodes(const Json& nodes, bool color, std::ostream& out);

} // namespace kf::cli
