#pragma once
// Every default of kf.yaml, in one place. The decoder fills these in for
// fields a project leaves out; `kf init` writes the same values into the
// kf.yaml it scaffolds, and man/kf-init.1 documents them.

namespace kf::spec::defaults {

inline constexpr const char* k_api_version = "kf.dev/v1alpha1";
inline constexpr const char* k_kind = "Project";
inline constexpr const char* k_namespace = "default";

inline constexpr const char* k_image_tag = "latest";
// image.name defaults to "<project>-trainer".

inline constexpr const char* k_framework = "pytorch";
inline constexpr int k_workers = 2;
inline constexpr const char* k_cpu = "1";
inline constexpr const char* k_memory = "2Gi";
inline constexpr const char* k_data_source = "/usr/share/datasets/fashion-mnist";
inline constexpr const char* k_data_format = "idx";
inline constexpr const char* k_model_type = "mlp";
inline constexpr int k_model_layers[] = {128, 64};
inline constexpr const char* k_activation = "relu";
inline constexpr const char* k_restart_policy = "OnFailure";
inline constexpr int k_backoff_limit = 3;
// The trainer inside the project's image; the rendered command is
// [k_trainer_command] followed by the model, data and hyperparameter flags.
inline constexpr const char* k_trainer_command = "kf-trainer";

inline constexpr const char* k_goal_type = "maximize";
inline constexpr const char* k_algorithm = "random";
inline constexpr int k_max_trials = 12;
inline constexpr int k_parallel_trials = 3;
inline constexpr int k_max_failed_trials = 3;
inline constexpr const char* k_scale = "linear";

inline constexpr int k_serving_replicas = 1;
inline constexpr const char* k_protocol = "v2";

inline constexpr const char* k_notebook_image = "kubeflownotebookswg/jupyter-scipy:v1.9.0";

inline constexpr const char* k_platform_namespace = "kubeflow";
inline constexpr const char* k_default_target = "local";

} // namespace kf::spec::defaults
