// kf init — libkf/action/init.cpp
#include <iostream>

#include "cli/app.h"
#include "cli/session.h"
#include "cli/output.h"
#include "libkf/action/init.h"

namespace kf::cli {

void add_init(CLI::App& app, Globals& g) {
  auto opts = std::make_shared<action::InitOptions>();
  auto* cmd = app.add_subcommand("init", "Create a kf project: kf.yaml, README.md, .gitignore and a git repository");
  hint(cmd->add_option("dir", opts->dir, "Directory of the new project (created if missing; default: .)")
           ->type_name("DIR"),
       Hint{{}, "dir"});
  cmd->add_option("--name", opts->name, "Project name (default: the directory's name)");
  // The values are checked by action::init, whose error suggests the one meant.
  hint(cmd->add_option("--framework", opts->framework, "Training framework: pytorch or tensorflow"),
       Hint{{"pytorch", "tensorflow"}, ""});
  cmd->add_option("--from", opts->from, "Copy a template repository (path, file:// or https URL; URL#REF for a branch or tag)")
      ->type_name("GIT-URL[#REF]");
  auto* example = cmd->add_option("--example", opts->example,
                                  "A worked example: intents (a text classifier on BANKING77, its data included) or "
                                  "fashion-cnn (a CNN with BatchNorm, dropout and augmentation on Fashion-MNIST)");
  hint(example, Hint{action::k_init_examples, ""});
  cmd->get_option("--from")->excludes(example);
  cmd->add_flag("--force", opts->force, "Overwrite files that already exist");
  cmd->add_flag("!--no-git", opts->git, "Do not create a git repository");
  cmd->footer("Examples:\n"
              "  kf init mnist                 # a new project in ./mnist\n"
              "  kf init . --name demo         # in the current directory\n"
              "  kf init --framework tensorflow tf-demo\n"
              "  kf init --example intents support-bot   # BANKING77 intents: train, serve, kf predict --text\n"
              "  kf init --example fashion-cnn clothes   # a CNN: 93% on Fashion-MNIST in about six minutes\n"
              "  kf init --from https://example.com/acme/kf-template.git#v1 churn");
  on_run(*cmd, g, [opts](Session& s) {
    const auto r = action::init(s.ctx, *opts);
    if (s.g.output == "json" || s.g.output == "yaml") {
      print_data(Json{{"name", r.name}, {"dir", r.dir.string()}, {"files", r.files}, {"commit", r.commit}}, s.g.output);
      return 0;
    }
    const bool color = use_color(s.g, stdout);
    std::cout << "Created project " << paint(color, "1", r.name) << " in " << r.dir.string() << '\n';
    for (const auto& f : r.files) std::cout << "  " << f << '\n';
    if (!r.commit.empty())
      std::cout << "Initialised a git repository (first commit " << r.commit.substr(0, 12) << ")\n";
    else if (!r.repository.empty())
      std::cout << "Inside the git repository at " << r.repository << ": no new repository made\n";
    std::cout << "\nNext:\n";
    if (opts->dir != ".") std::cout << "  cd " << opts->dir.string() << '\n';
    if (opts->example == "fashion-cnn")
      std::cout << "  kf train\n"
                   "  kf serve --detach\n";
    else if (opts->example == "intents")
      std::cout << "  kf train\n"
                   "  kf serve --detach\n"
                   "  kf predict --text \"my card has not arrived yet\"\n";
    else
      std::cout << "  kf render all      # see the Kubernetes objects\n"
                   "  kf validate        # check kf.yaml\n";
    return 0;
  });
}

} // namespace kf::cli
