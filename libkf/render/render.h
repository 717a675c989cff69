#pragma once
// Project spec -> Kubernetes objects. Each kind has one template
// (templates/<kind>.yaml, compiled into kf); a project may override any of
// them with its own templates/<kind>.yaml. Objects come back in apply order.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "libkf/spec/project.h"
#include "libkf/util/json.h"

namespace kf::render {

class Template; // template.h

// What `kf render` was asked for: train, tune, serve, pipeline, notebook or all.
struct Selection {
  std::string what = "all";
  std::string name; // pipeline or notebook name; "" = all of them
};

class Renderer {
public:
  // `project_dir` is searched for templates/<kind>.yaml overrides and kf build's
  // record of the trainer image (trainer_image.h).
  Renderer(const spec::Project& project, std::filesystem::path project_dir);

  std::vector<Json> render(const Selection& selection) const;

  Json training() const;                  // PyTorchJob or TFJob (operator v1), TrainJob (v2)
  std::vector<Json> training_support() const; // what the training job needs beside it: v2's TrainingRuntime
  Json experiment() const;                // Katib Experiment (needs spec.tuning)
  std::vector<Json> serving() const;      // ServingRuntime + InferenceService
  Json workflow(const spec::PipelineSpec& pipeline) const;
  std::vector<Json> notebook(const spec::NotebookSpec& nb) const; // [PVC,] Notebook

private:
  // The template of `kind` (its file name without .yaml): the project's
  // templates/<kind>.yaml, parsed, or kf's built-in one, parsed when kf was built.
  Template template_for(const std::string& kind) const;
  Json evaluate(const std::string& kind, const Json& values) const;

  const spec::Project& m_project;
  std::filesystem::path m_dir;
  std::string m_image; // trainer_image(): kf build's image by digest, else kf.yaml's image
};

// The selectable names: train, tune, serve, pipeline, notebook, all.
const std::vector<std::string>& selections();

} // namespace kf::render
