// kf validate — libkf/action/validate.cpp
#include <iostream>
#include <sstream>

#include "cli/app.h"
#include "cli/session.h"
#include "cli/output.h"
#include "libkf/action/validate.h"

namespace kf::cli {

void add_validate(CLI::App& app, Globals& g) {
  struct Flags {
    std::vector<std::string> files;
    std::string schemas;
    ValuesFlags values;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("validate", "Check kf.yaml, and objects against the upstream CRD schemas");
  hint(cmd->add_option("-f,--filename", flags->files, "Validate the objects in FILE instead of the project's ('-' = stdin; repeatable)")
           ->type_name("FILE")
           ->expected(1)
           ->allow_extra_args(false)
           ->take_all(),
       Hint{{}, "file"});
  hint(cmd->add_option("--schemas", flags->schemas, "Validate against the CRD files (and swagger .json) of DIR instead of the built-in CRDs")
           ->type_name("DIR")
           ->envname("KF_SCHEMAS"),
       Hint{{}, "dir"});
  add_values_flags(*cmd, flags->values, false);
  cmd->footer("Exit status: 0 valid, 1 an object breaks its schema, 2 kf.yaml or a file is malformed.\n\n"
              "Without --schemas, objects are checked against the upstream CRDs built into kf (Training\n"
              "Operator v1, Trainer v2, Katib, KServe, Argo Workflows, Notebooks, Pipelines), or with\n"
              "--target CLUSTER against the CRDs installed on that cluster.\n\n"
              "Examples:\n"
              "  kf validate                                  # kf.yaml and every rendered object\n"
              "  kf validate --schemas ./crds                 # against the CRD files of ./crds\n"
              "  kf validate --target prod                    # against the CRDs installed on a cluster target\n"
              "  kf validate -f objs.yaml\n"
              "  kf render train | kf validate -f -");
  on_run(*cmd, g, [flags](Session& s) {
    action::ValidateOptions opts;
    opts.load = flags->values.load_options();
    opts.target = s.g.target;
    opts.files = flags->files;
    opts.schemas = flags->schemas;
    for (const auto& f : flags->files)
      if (f == "-") {
        std::ostringstream text;
        text << std::cin.rdbuf();
        opts.stdin_text = text.str();
      }
    const auto r = action::validate(s.ctx, opts);
    if (s.g.output == "json" || s.g.output == "yaml") {
      Json out = {{"valid", r.ok()}, {"objects", Json::array()}};
      if (!r.project.empty()) out["project"] = r.project;
      for (const auto& o : r.objects)
        out["objects"].push_back({{"kind", o.kind}, {"name", o.name}, {"source", o.source},
                                  {"checked", o.checked}, {"violations", o.violations}});
      print_data(out, s.g.output);
    } else {
      for (const auto& o : r.objects)
        for (const auto& v : o.violations) std::cerr << v << '\n';
      if (s.g.output == "table" || s.g.verbose > 0) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& o : r.objects)
          rows.push_back({o.kind, o.name, !o.checked ? "no schema" : o.violations.empty() ? "valid" : "invalid"});
        print_table({"KIND", "NAME", "RESULT"}, rows);
      }
      std::size_t checked = 0, bad = 0;
      for (const auto& o : r.objects) {
        checked += o.checked ? 1 : 0;
        bad += o.violations.empty() ? 0 : 1;
      }
      if (!r.project.empty()) std::cerr << "kf.yaml: valid (project " << r.project << ")\n";
      if (!r.objects.empty())
        std::cerr << r.objects.size() << " objects, " << checked << " checked against schemas, " << bad
                  << " invalid\n";
    }
    return r.ok() ? 0 : 1;
  });
}

} // namespace kf::cli
