#pragma once
// A container of a pod template, as the local target runs it: its command
// and args become a host process with its env and workingDir; the image is
// recorded, not pulled. kf's own trainer image is the exception: its
// entrypoint (or a command "kf-trainer") is the built kf-trainer.

#include <string>
#include <utility>
#include <vector>

#include "libkf/util/json.h"

namespace kf::local {

struct ContainerProcess {
  std::string image;
  std::vector<std::string> argv;                         // command + args
  std::vector<std::pair<std::string, std::string>> env;  // the container's env, in order
  std::string working_dir;                               // "" = the run directory
  int gpus = 0;                                          // resources' nvidia.com/gpu
};

struct ContainerOptions {
  std::string trainer_image; // the project's trainer image ("" = none)
  std::string trainer_path;  // replaces its entrypoint or a command "kf-trainer"
};

// `container` is a core/v1 Container; `at` is its path for messages
// ("spec.template.spec.containers[0]"). Throws FieldError for what this
// machine cannot do: no command (an image's entrypoint is unknown here, but
// for kf's trainer), env valueFrom/envFrom, a relative workingDir.
ContainerProcess container_process(const Json& container, const std::string& at, const ContainerOptions& options);

// A quantity's whole units ("2", "500m" -> 0); 0 when absent or unreadable.
int whole_units(const Json& quantity);
// The nvidia.com/gpu a container's `resources` ask for: its limits (which an
// extended resource's requests must equal), else its requests.
int gpu_request(const Json& resources);

// The path of argv[0] as exec would find it with `path_env` (a PATH value);
// "" when it is not there. A name with a '/' is taken as a path.
std::string find_command(const std::string& command, const std::string& path_env);

} // namespace kf::local
