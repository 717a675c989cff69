#pragma once
// `kf init`: scaffold a project (kf.yaml, README.md, .gitignore) or copy a
// template repository, then make it a git repository with a first commit
// unless it already lies inside one. All or nothing: files are prepared in
// a temporary directory and moved into place only when everything worked.

#include <filesystem>
#include <string>
#include <vector>

#include "libkf/action/context.h"

namespace kf::action {

struct InitOptions {
  std::filesystem::path dir = ".";  // created when missing
  std::string name;                 // default: the directory's name
  std::string framework = "pytorch"; // pytorch | tensorflow (scaffold only)
  std::string from;                 // template repository: path, file:// or https URL, optional #REF
  std::string example;              // "" | intents | fashion-cnn: a worked example (scaffold only)
  bool force = false;               // overwrite existing files
  bool git = true;                  // initialise a repository when not inside one
};

struct InitResult {
  std::filesystem::path dir;          // absolute
  std::string name;
  std::vector<std::string> files;     // written, relative to dir
  std::string commit;                 // the first commit, "" when none was made
  std::string repository;             // the enclosing repository when one existed
};

InitResult init(const Context& ctx, const InitOptions& options);

// The kf.yaml `kf init` writes, with comments (exposed for tests and docs);
// `example` "intents" gives the text-classification example's.
std::string scaffold_kf_yaml(const std::string& name, const std::string& framework, const std::string& example = "");

// The examples `kf init --example` knows.
inline const std::vector<std::string> k_init_examples = {"intents", "fashion-cnn"};

} // namespace kf::action
