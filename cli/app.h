#pragma once
// The kf command line: global options, the verb table (app.cpp), and what
// each verb registers. One file per verb (cmd_<verb>.cpp) binds flags into
// the action's Options and sets Globals::run; main.cpp parses, then runs it.
// kf-docgen walks the same CLI::App to write completions/ and man/.

#include <CLI/CLI.hpp>

#include <functional>
#include <string_view>
#include <utility>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libkf/spec/load.h"

namespace kf::cli {

struct Globals {
  int verbose = 0;         // -v, repeatable
  std::string output;      // -o table|json|yaml; "" = the verb's default
  std::string target;      // --target NAME; "" = the project's defaultTarget
  std::string dir;         // -C DIR: run as if started in DIR
  bool no_color = false;   // --no-color (NO_COLOR in the environment does the same)
  std::function<int()> run; // the chosen verb's body; returns the exit code
};

// What a shell may complete for an option or positional argument.
struct Hint {
  std::vector<std::string> choices; // fixed words
  // "file", "dir", "" (choices only), or a value `kf __complete` computes
  // (cli/complete.cpp): "run", "target", "context", "pipeline", "notebook",
  // "render-name" (a pipeline or notebook, after `render pipeline|notebook`).
  std::string kind;
  bool dynamic() const { return !kind.empty() && kind != "file" && kind != "dir"; }
};
void hint(CLI::Option* opt, Hint h);
const Hint* hint_for(const CLI::Option* opt);
// A value from a fixed list: completed from it, and checked with a suggestion
// ('--output: "yml" is not one of table, json, yaml (did you mean 'yaml'?)').
CLI::Option* one_of(CLI::Option* opt, std::vector<std::string> choices);

// Builds the command line: the global options and every verb, or only
// `only_verb` when it names one. `globals` must outlive the app.
std::unique_ptr<CLI::App> make_app(Globals& globals, std::string_view only_verb = {});
// The verb an argv names: its first word that is neither an option nor a
// global option's value ("" when none).
std::string_view verb_of(int argc, const char* const* argv);

// One registration function per verb (cmd_<verb>.cpp).
void add_version(CLI::App& app, Globals& g);
void add_init(CLI::App& app, Globals& g);
void add_render(CLI::App& app, Globals& g);
void add_validate(CLI::App& app, Globals& g);
void add_apply(CLI::App& app, Globals& g);
void add_build(CLI::App& app, Globals& g);
void add_train(CLI::App& app, Globals& g);      // local and cluster runs
void add_tune(CLI::App& app, Globals& g);       // Katib Experiments on a cluster
void add_pipeline(CLI::App& app, Globals& g);   // `kf pipeline run`, Argo Workflows on a cluster
void add_submit(CLI::App& app, Globals& g);     // `kf submit -f`: the objects of manifest files
void add_resume(CLI::App& app, Globals& g);     // `kf resume RUN`: an Experiment or Workflow carries on
void add_retry(CLI::App& app, Globals& g);      // `kf retry RUN`: a Workflow's failed steps run again
void add_status(CLI::App& app, Globals& g);
void add_logs(CLI::App& app, Globals& g);
void add_delete(CLI::App& app, Globals& g);
void add_serve(CLI::App& app, Globals& g);      // the model server
void add_stop(CLI::App& app, Globals& g);       // runs stopped and kept (a Notebook: kubeflow-resource-stopped)
void add_notebook(CLI::App& app, Globals& g);   // a Kubeflow Notebook: Jupyter, started or reconnected to
void add_predict(CLI::App& app, Globals& g);
void add_monitor(CLI::App& app, Globals& g);    // `kf monitor --labels`: accuracy of logged answers
void add_supervise(CLI::App& app, Globals& g);  // hidden: a local run's supervisor process
void add_completion(CLI::App& app, Globals& g);

// Shared flags: -f VALUES and --set PATH=VALUE (helm's), for verbs that load kf.yaml.
struct ValuesFlags {
  std::vector<std::string> files;
  std::vector<std::string> sets;
  spec::LoadOptions load_options() const { return spec::LoadOptions{".", files, sets}; }
};
// `short_f`: also bind -f (render, like helm); validate keeps -f for manifests, like kubectl.
void add_values_flags(CLI::App& cmd, ValuesFlags& flags, bool short_f = true);

} // namespace kf::cli
