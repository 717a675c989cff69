#include "libkf/local/container.h"

#include <unistd.h>

#include <cstdlib>

#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::local {

namespace {

std::vector<std::string> strings_at(const Json& container, const char* key, const std::string& at) {
  std::vector<std::string> out;
  if (!container.contains(key) || container[key].is_null()) return out;
  const Json& j = container[key];
  if (!j.is_array()) throw FieldError(at + "." + key, "must be a list of strings");
  for (std::size_t i = 0; i < j.size(); ++i) {
    if (j[i].is_string()) out.push_back(j[i].get<std::string>());
    else if (j[i].is_number() || j[i].is_boolean()) out.push_back(j[i].dump()); // as kubectl would refuse; be lenient
    else throw FieldError(at + "." + key + "[" + std::to_string(i) + "]", "must be a string");
  }
  return out;
}

} // namespace

ContainerProcess container_process(const Json& c, const std::string& at, const ContainerOptions& o) {
  ContainerProcess p;
  p.image = json_text(c, "image");
  auto command = strings_at(c, "command", at);
  const auto args = strings_at(c, "args", at);
  const bool trainer = !o.trainer_image.empty() && p.image == o.trainer_image;
  if (trainer && (command.empty() || command[0] == "kf-trainer")) {
    if (command.empty()) command.push_back(o.trainer_path); // the image's entrypoint
    else command[0] = o.trainer_path;
  }
  if (command.empty())
    throw FieldError(at + ".command",
                     "the local target runs a container's command on this machine and cannot know the entrypoint of image " +
                         str::quote(p.image) + ": give the command");
  p.argv = command;
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  if (c.contains("envFrom") && !c["envFrom"].is_null() && !c["envFrom"].empty())
    throw FieldError(at + ".envFrom", "config maps and secrets are not available on the local target");
  if (c.contains("env") && c["env"].is_array())
    for (std::size_t i = 0; i < c["env"].size(); ++i) {
      const Json& e = c["env"][i];
      const std::string name = json_text(e, "name");
      if (e.contains("valueFrom"))
        throw FieldError(at + ".env[" + std::to_string(i) + "].valueFrom",
                         "env " + str::quote(name) + ": valueFrom (secrets, config maps, fields) is not available on the local target");
      std::string value;
      if (e.contains("value") && e["value"].is_string()) value = e["value"].get<std::string>();
      else if (e.contains("value") && !e["value"].is_null()) value = e["value"].dump();
      p.env.emplace_back(name, value);
    }
  p.working_dir = json_text(c, "workingDir");
  if (!p.working_dir.empty() && p.working_dir[0] != '/')
    throw FieldError(at + ".workingDir", "must be an absolute path, not " + str::quote(p.working_dir));
  p.gpus = gpu_request(json_field(c, "resources"));
  return p;
}

int whole_units(const Json& q) {
  if (q.is_number()) return q.get<double>() >= 1 && q.get<double>() < 1e6 ? static_cast<int>(q.get<double>()) : 0;
  if (!q.is_string()) return 0;
  const std::string s = q.get<std::string>();
  const long n = std::strtol(s.c_str(), nullptr, 10);
  if (n < 0 || n >= 1000000) return 0;
  if (!s.empty() && s.back() == 'm') return static_cast<int>(n / 1000);
  return static_cast<int>(n);
}

int gpu_request(const Json& resources) {
  const int limits = whole_units(json_field(json_field(resources, "limits"), "nvidia.com/gpu"));
  return limits > 0 ? limits : whole_units(json_field(json_field(resources, "requests"), "nvidia.com/gpu"));
}

std::string find_command(const std::string& command, const std::string& path_env) {
  if (command.empty()) return "";
  if (command.find('/') != std::string::npos) return ::access(command.c_str(), X_OK) == 0 ? command : "";
  for (const auto& dir : str::split(path_env, ':')) {
    const std::string p = (dir.empty() ? std::string(".") : dir) + "/" + command;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

} // namespace kf::local
