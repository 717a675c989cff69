#include "cli/app.h"

#include <algorithm>

#include "libkf/util/strings.h"
#include "libkf/version.h"

namespace kf::cli {

namespace {
std::map<const CLI::Option*, Hint>& hints() {
  static std::map<const CLI::Option*, Hint> k_hints;
  return k_hints;
}
} // namespace

void hint(CLI::Option* opt, Hint h) { hints()[opt] = std::move(h); }

CLI::Option* one_of(CLI::Option* opt, std::vector<std::string> choices) {
  const std::string listed = str::join(choices, ", ");
  opt->check(CLI::Validator(
      [choices, listed](std::string& value) -> std::string {
        if (std::find(choices.begin(), choices.end(), value) != choices.end()) return "";
        return str::quote(value) + " is not one of " + listed + str::did_you_mean(value, choices);
      },
      "{" + str::join(choices, ",") + "}"));
  hint(opt, Hint{std::move(choices), ""});
  return opt;
}

const Hint* hint_for(const CLI::Option* opt) {
  auto it = hints().find(opt);
  return it == hints().end() ? nullptr : &it->second;
}

void add_values_flags(CLI::App& cmd, ValuesFlags& flags, bool short_f) {
  hint(cmd.add_option(short_f ? "-f,--values" : "--values", flags.files, "Merge a values file over kf.yaml (repeatable; later wins)")
           ->type_name("FILE")
           ->expected(1)
           ->allow_extra_args(false)
           ->take_all(),
       Hint{{}, "file"});
  cmd.add_option("--set", flags.sets,
                 "Set a kf.yaml value, e.g. training.workers=4 or spec.tuning.maxTrials=20 (repeatable; after -f)")
      ->type_name("PATH=VALUE")
      ->expected(1)
      ->allow_extra_args(false)
      ->take_all();
}

// The verbs, one line each: this list is what kf does.
const std::vector<std::pair<std::string_view, void (*)(CLI::App&, Globals&)>>& verbs() {
  static const std::vector<std::pair<std::string_view, void (*)(CLI::App&, Globals&)>> k_verbs = {
      {"init", add_init},
      {"render", add_render},
      {"validate", add_validate},
      {"apply", add_apply},       // server-side apply of manifests, or kf.yaml's platform
      {"build", add_build},       // the trainer as an OCI image, pushed to a registry
      {"train", add_train},       // train / tune / pipeline run / status / logs / delete: runs on the target
      {"tune", add_tune},
      {"submit", add_submit},
      {"resume", add_resume},
      {"retry", add_retry},
      {"pipeline", add_pipeline},
      {"status", add_status},
      {"logs", add_logs},
      {"stop", add_stop},
      {"delete", add_delete},
      {"serve", add_serve},       // serve / predict: the InferenceService, run by kf-server
      {"predict", add_predict},
      {"monitor", add_monitor},   // logged answers against later labels
      {"notebook", add_notebook}, // a Kubeflow Notebook: Jupyter
      {"completion", add_completion},
      {"version", add_version},
      {"__supervise", add_supervise},
  };
  return k_verbs;
}

std::unique_ptr<CLI::App> make_app(Globals& g, std::string_view only_verb) {
  auto app = std::make_unique<CLI::App>(
      "kf takes a machine-learning project from a laptop to a Kubeflow cluster: it scaffolds the project, "
      "renders and validates the Kubernetes objects for training, tuning, serving, pipelines and notebooks, "
      "and runs them on this machine or on a cluster.",
      "kf");
  app->require_subcommand(1);
  app->fallthrough();
  app->set_help_all_flag("--help-all", "Show help for every verb");
  app->footer("Run 'kf VERB --help' for a verb's flags and examples. Manual: man kf.");

  app->add_flag("-v,--verbose", g.verbose, "Say more about what kf does (repeat for more)");
  one_of(app->add_option("-o,--output", g.output, "Output format: table, json or yaml")->type_name("FORMAT"),
         {"table", "json", "yaml"});
  hint(app->add_option("--target", g.target, "Where verbs run: 'local', a target named in kf.yaml, or a kubeconfig context")
           ->type_name("NAME"),
       Hint{{}, "target"});
  hint(app->add_option("-C,--directory", g.dir, "Run as if kf was started in DIR")->type_name("DIR"),
       Hint{{}, "dir"});
  app->add_flag("--no-color", g.no_color, "Never colour the output (also: NO_COLOR=1)");

  // Only the verb on the command line, when there is one: defining all of
  // them costs more than the rest of a `kf version`. Help, completion and
  // kf-docgen see the whole table.
  if (only_verb == "completion") only_verb = {}; // its scripts describe every verb
  bool found = false;
  for (const auto& [name, add] : verbs())
    if (name == only_verb) {
      add(*app, g);
      found = true;
    }
  if (!found)
    for (const auto& [name, add] : verbs()) add(*app, g);
  return app;
}

std::string_view verb_of(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-o" || arg == "--output" || arg == "--target" || arg == "-C" || arg == "--directory") {
      ++i; // a global option's value
      continue;
    }
    if (!arg.empty() && arg[0] == '-') continue;
    return arg;
  }
  return {};
}

} // namespace kf::cli
