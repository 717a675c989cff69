#pragma once
// The values each template is evaluated against, computed from the typed
// project. Everything that takes a decision (replica counts, trainer flags,
// resource maps, the pipeline DAG) is made here, in C++; the templates only
// give the objects their shape. The names are part of the template contract
// (a project's own templates/ use them), documented in man/kf-render.1.

#include "libkf/spec/project.h"
#include "libkf/util/json.h"

namespace kf::render {

// Every function takes `image`, the trainer image as rendered: the Renderer
// passes trainer_image() (trainer_image.h), the one place that decides it.
//
// Common to every kind: project {name, namespace}, image, labels (with
// app.kubernetes.io/component set to `component`).
Json base_values(const spec::Project& p, const std::string& image, const std::string& component);

// `training`: name, framework, container, replicas per role, restartPolicy,
// backoffLimit, command, args, env, resources. `trial_args` replaces the
// hyperparameter values with Katib's ${trialParameters.NAME} references.
Json training_values(const spec::Project& p, const std::string& image, bool trial_args = false);
// `tuning` (Experiment); `trial_spec` is the rendered training object.
Json tuning_values(const spec::Project& p, const std::string& image, const Json& trial_spec);
Json serving_values(const spec::Project& p, const std::string& image);
Json pipeline_values(const spec::Project& p, const std::string& image, const spec::PipelineSpec& pipeline);
Json notebook_values(const spec::Project& p, const std::string& image, const spec::NotebookSpec& nb);

// The flags kf-trainer receives (data, model, hyperparameters).
std::vector<std::string> trainer_args(const spec::Project& p, bool trial_args);

} // namespace kf::render
