// kf render — libkf/action/render.cpp
#include "cli/app.h"
#include "cli/session.h"
#include "cli/output.h"
#include "libkf/action/render.h"

namespace kf::cli {

void add_render(CLI::App& app, Globals& g) {
  struct Flags {
    std::string what = "all";
    std::string name;
    ValuesFlags values;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("render", "Print the Kubernetes objects kf would submit (PyTorchJob/TFJob, "
                                           "Experiment, InferenceService, Workflow, Notebook)");
  hint(cmd->add_option("what", flags->what, "train, tune, serve, pipeline, notebook or all (default: all)"),
       Hint{{"train", "tune", "serve", "pipeline", "notebook", "all"}, ""});
  hint(cmd->add_option("name", flags->name, "The pipeline or notebook to render (default: every one)"),
       Hint{{}, "render-name"});
  add_values_flags(*cmd, flags->values);
  cmd->footer("Objects are rendered from kf's templates, or from the project's templates/KIND.yaml when present.\n\n"
              "Examples:\n"
              "  kf render                          # every object, as YAML\n"
              "  kf render train -o json\n"
              "  kf render pipeline train-and-evaluate\n"
              "  kf render train --set training.workers=8 -f prod.yaml\n"
              "  kf render all | kubectl apply --server-side -f -");
  on_run(*cmd, g, [flags](Session& s) {
    action::RenderOptions opts;
    opts.load = flags->values.load_options();
    opts.target = s.g.target;
    opts.selection = render::Selection{flags->what, flags->name};
    const auto r = action::render(s.ctx, opts);
    print_objects(r.objects, s.g.output.empty() ? "yaml" : s.g.output);
    return 0;
  });
}

} // namespace kf::cli
