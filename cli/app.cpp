#include "cli/app.h"

#include "libkf/version.h"

namespace kf::cli {

namespace {
std::map<const CLI::Option*, Hint>& hints() {
  static std::map<const CLI::Option*, Hint> k_hints;
  return k_hints;
}
} // namespace

void hint(CLI::Option* opt, Hint h) { hints()[opt] = std::move(h); }

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

std::unique_ptr<CLI::App> make_app(Globals& g) {
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
  hint(app->add_option("-o,--output", g.output, "Output format: table, json or yaml")
           ->check(CLI::IsMember({"table", "json", "yaml"}))
           ->type_name("FORMAT"),
       Hint{{"table", "json", "yaml"}, ""});
  app->add_option("--target", g.target, "Where verbs run: 'local', a target named in kf.yaml, or a kubeconfig context")
      ->type_name("NAME");
  hint(app->add_option("-C,--directory", g.dir, "Run as if kf was started in DIR")->type_name("DIR"),
       Hint{{}, "dir"});
  app->add_flag("--no-color", g.no_color, "Never colour the output (also: NO_COLOR=1)");

  // The verbs, one line each: this list is what kf does.
  add_init(*app, g);
  add_render(*app, g);
  add_validate(*app, g);
  add_apply(*app, g);   // issue 3: server-side apply of manifests
  add_build(*app, g);   // issue 7: the trainer as an OCI image, pushed to a registry
  add_train(*app, g);   // train / tune / pipeline run / status / logs / delete: runs on the target
  add_tune(*app, g);
  add_pipeline(*app, g);
  add_status(*app, g);
  add_logs(*app, g);
  add_delete(*app, g);
  add_serve(*app, g);   // serve / predict: the InferenceService, run by kf-server
  add_predict(*app, g);
  add_completion(*app, g);
  add_version(*app, g);
  add_supervise(*app, g);
  return app;
}

} // namespace kf::cli
