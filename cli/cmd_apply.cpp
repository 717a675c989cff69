// kf apply — libkf/action/apply.cpp
#include <iostream>
#include <sstream>

#include "cli/app.h"
#include "cli/output.h"
#include "libkf/action/apply.h"

namespace kf::cli {

void add_apply(CLI::App& app, Globals& g) {
  struct Flags {
    std::vector<std::string> files;
    std::string kubeconfig, context, namespace_, dry_run = "none", field_manager = "kf";
    bool force_conflicts = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("apply", "Apply manifests to a cluster with server-side apply: namespaces and CRDs "
                                          "first, the rest once the CRDs are established");
  hint(cmd->add_option("-f,--filename", flags->files, "A manifest file, a directory of them, or '-' for stdin (repeatable)")
           ->type_name("FILE")
           ->expected(1)
           ->allow_extra_args(false)
           ->take_all(),
       Hint{{}, "file"});
  hint(cmd->add_option("--kubeconfig", flags->kubeconfig, "The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
           ->type_name("FILE"),
       Hint{{}, "file"});
  cmd->add_option("--context", flags->context, "The kubeconfig context (default: its current-context)")->type_name("NAME");
  cmd->add_option("-n,--namespace", flags->namespace_, "Namespace for objects without one (default: the context's)")
      ->type_name("NS");
  hint(cmd->add_option("--dry-run", flags->dry_run, "'server': the server validates every object and stores nothing")
           ->check(CLI::IsMember({"none", "server"}))
           ->type_name("MODE"),
       Hint{{"none", "server"}, ""});
  cmd->add_flag("--force-conflicts", flags->force_conflicts, "Take over fields that another field manager owns");
  cmd->add_option("--field-manager", flags->field_manager, "The field manager kf applies as (default kf)")->type_name("NAME");
  cmd->footer("Prints one line per object (created, configured or unchanged); -o yaml|json prints what the server "
              "stored. Failed requests are retried (429, 5xx, dropped connections).\n\n"
              "Examples:\n"
              "  kf apply -f manifests/\n"
              "  kf render all | kf apply -f -\n"
              "  kf apply -f crds.yaml --dry-run=server -o yaml\n"
              "  kf apply -f job.yaml --context prod -n ml");
  cmd->callback([&g, flags] {
    g.run = [&g, flags] {
      TerminalReporter reporter(g);
      action::ApplyOptions opts;
      opts.files = flags->files;
      opts.kubeconfig.kubeconfig = flags->kubeconfig;
      opts.kubeconfig.context = flags->context;
      opts.kubeconfig.namespace_ = flags->namespace_;
      opts.dry_run = flags->dry_run == "server";
      opts.force_conflicts = flags->force_conflicts;
      opts.field_manager = flags->field_manager;
      for (const auto& f : flags->files)
        if (f == "-") {
          std::ostringstream text;
          text << std::cin.rdbuf();
          opts.stdin_text = text.str();
        }
      const auto r = action::apply(action::Context{reporter}, opts);
      if (g.output == "json" || g.output == "yaml") {
        std::vector<Json> objects;
        for (const auto& o : r.objects) objects.push_back(o.object);
        print_objects(objects, g.output);
      } else {
        const std::string suffix = opts.dry_run ? " (server dry run)" : "";
        for (const auto& o : r.objects) std::cout << o.display << ' ' << o.change << suffix << '\n';
      }
      return 0;
    };
  });
}

} // namespace kf::cli
