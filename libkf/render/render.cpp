#include "libkf/render/render.h"

#include "libkf/render/template.h"
#include "libkf/render/trainer_image.h"
#include "libkf/render/values.h"
#include "libkf/util/embedded.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"

namespace kf::render {

namespace stdfs = std::filesystem;

const std::vector<std::string>& selections() {
  static const std::vector<std::string> k_names = {"train", "tune", "serve", "pipeline", "notebook", "all"};
  return k_names;
}

Renderer::Renderer(const spec::Project& project, stdfs::path project_dir)
    : m_project(project), m_dir(std::move(project_dir)), m_image(trainer_image(m_project, m_dir)) {}

Template Renderer::template_for(const std::string& kind) const {
  const stdfs::path override_path = m_dir / "templates" / (kind + ".yaml");
  std::error_code ec;
  if (!m_dir.empty() && stdfs::is_regular_file(override_path, ec)) {
    std::error_code rel_ec;
    stdfs::path shown = stdfs::relative(override_path, stdfs::current_path(rel_ec), rel_ec);
    return Template(fs::read_file(override_path), (rel_ec || shown.empty() ? override_path : shown).string());
  }
  const std::string builtin = "templates/" + kind + ".yaml";
  auto tree = embedded::parsed(builtin);
  if (!tree) throw Error("kf was built without the template " + builtin);
  return Template(std::move(*tree), builtin);
}

Json Renderer::evaluate(const std::string& kind, const Json& values) const {
  const Template tmpl = template_for(kind);
  Json obj = tmpl.evaluate(values);
  if (!obj.is_object() || !obj.contains("apiVersion") || !obj.contains("kind"))
    throw SpecError(tmpl.file() + ": a template must produce an object with apiVersion and kind");
  return obj;
}

namespace {
// The template of the training job: operator v1's PyTorchJob or TFJob, v2's TrainJob.
std::string training_kind(const spec::TrainingSpec& t) {
  if (t.operator_version == "v2") return "trainjob";
  return t.framework == "tensorflow" ? "tfjob" : "pytorchjob";
}
} // namespace

Json Renderer::training() const { return evaluate(training_kind(m_project.training), training_values(m_project, m_image)); }

std::vector<Json> Renderer::training_support() const {
  if (m_project.training.operator_version != "v2") return {};
  return {evaluate("trainingruntime", training_values(m_project, m_image))};
}

Json Renderer::experiment() const {
  if (!m_project.tuning.present) throw UsageError("the project has no spec.tuning: add one to kf.yaml to render an Experiment");
  Json trial = evaluate(training_kind(m_project.training), training_values(m_project, m_image, true));
  trial.erase("metadata"); // Katib names each trial's job itself
  return evaluate("experiment", tuning_values(m_project, m_image, trial));
}

std::vector<Json> Renderer::serving() const {
  const Json values = serving_values(m_project, m_image);
  return {evaluate("servingruntime", values), evaluate("inferenceservice", values)};
}

Json Renderer::workflow(const spec::PipelineSpec& pipeline) const {
  return evaluate("workflow", pipeline_values(m_project, m_image, pipeline));
}

std::vector<Json> Renderer::notebook(const spec::NotebookSpec& nb) const {
  const Json values = notebook_values(m_project, m_image, nb);
  std::vector<Json> out;
  if (!nb.volume_size.empty()) out.push_back(evaluate("persistentvolumeclaim", values));
  out.push_back(evaluate("notebook", values));
  return out;
}

namespace {

template <typename T>
const T& find_named(const std::vector<T>& items, const std::string& name, const std::string& what) {
  std::vector<std::string> names;
  for (const auto& it : items) {
    if (it.name == name) return it;
    names.push_back(it.name);
  }
  if (names.empty()) throw UsageError("the project has no " + what + "s: add one under spec." + what + "s in kf.yaml");
  throw UsageError("no " + what + " named " + str::quote(name) + " in kf.yaml" + str::did_you_mean(name, names) +
                   "; " + what + "s: " + str::join(names, ", "));
}

} // namespace

std::vector<Json> Renderer::render(const Selection& sel) const {
  std::vector<Json> out;
  auto append = [&](std::vector<Json> more) {
    for (auto& o : more) out.push_back(std::move(o));
  };
  const bool all = sel.what == "all";
  if (!all && std::find(selections().begin(), selections().end(), sel.what) == selections().end())
    throw UsageError("cannot render " + str::quote(sel.what) + str::did_you_mean(sel.what, selections()) +
                     "; choose one of: " + str::join(selections(), ", "));
  if (!sel.name.empty() && sel.what != "pipeline" && sel.what != "notebook")
    throw UsageError("'kf render " + sel.what + "' takes no name");
  if (all || sel.what == "train") {
    append(training_support());
    out.push_back(training());
  }
  if ((all && m_project.tuning.present) || sel.what == "tune") out.push_back(experiment());
  if (all || sel.what == "serve") append(serving());
  if (all || sel.what == "pipeline") {
    if (!sel.name.empty()) {
      out.push_back(workflow(find_named(m_project.pipelines, sel.name, "pipeline")));
    } else {
      if (!all && m_project.pipelines.empty()) find_named(m_project.pipelines, "", "pipeline");
      for (const auto& p : m_project.pipelines) out.push_back(workflow(p));
    }
  }
  if (all || sel.what == "notebook") {
    if (!sel.name.empty()) {
      append(notebook(find_named(m_project.notebooks, sel.name, "notebook")));
    } else {
      if (!all && m_project.notebooks.empty()) find_named(m_project.notebooks, "", "notebook");
      for (const auto& nb : m_project.notebooks) append(notebook(nb));
    }
  }
  return out;
}

} // namespace kf::render
