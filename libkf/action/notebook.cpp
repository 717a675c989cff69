// `kf notebook`: a notebook of kf.yaml started, or the one already running found again.
#include "libkf/action/runs.h"
#include "libkf/render/render.h"
#include "libkf/target/summary.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::action {

namespace {

// True when `run` is a run of the notebook `base`: base itself or base-N.
bool run_of(const std::string& run, const std::string& base) {
  if (run == base) return true;
  if (run.size() <= base.size() + 1 || run.compare(0, base.size() + 1, base + "-") != 0) return false;
  return run.find_first_not_of("0123456789", base.size() + 1) == std::string::npos;
}

} // namespace

NotebookResult notebook(const Context& ctx, const NotebookOptions& o, ProjectTarget& pt) {
  const auto& notebooks = pt.loaded.project.notebooks;
  std::vector<std::string> names;
  for (const auto& nb : notebooks) names.push_back(nb.name);
  std::string name = o.name;
  if (name.empty()) {
    if (notebooks.size() != 1)
      throw UsageError(notebooks.empty() ? "the project has no spec.notebooks: add one to kf.yaml"
                                         : "the project has " + std::to_string(notebooks.size()) + " notebooks; name one: " +
                                               str::join(names, ", "));
    name = notebooks.front().name;
  }
  const render::Renderer renderer(pt.loaded.project, pt.loaded.dir);
  auto objects = renderer.render({"notebook", name}); // [PVC,] Notebook
  const Json notebook = objects.back();
  objects.pop_back();
  const std::string base = notebook["metadata"].value("name", "");
  // One that runs already: reconnect.
  for (const auto& run : pt.target->list()) {
    if (!run_of(run, base)) continue;
    const auto object = pt.target->get(run);
    if (!object || object->value("kind", "") != "Notebook" || target::is_finished(*object)) continue;
    ctx.reporter.debug("notebook " + name + " runs already as " + run);
    return {{run, pt.target_name, *object, ""}, true, target::summarize(*object).url};
  }
  target::SubmitOptions so;
  so.run_name = o.run_name;
  so.supporting = objects;
  const auto submitted = pt.target->submit(notebook, so);
  return {{submitted.run, pt.target_name, submitted.object, submitted.where}, false, ""};
}

} // namespace kf::action
