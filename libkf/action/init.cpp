#include "libkf/action/init.h"

#include <fmt/format.h>

#include <algorithm>

#include "libkf/action/example_data.h"
#include "libkf/spec/decode.h"
#include "libkf/spec/load.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/git.h"
#include "libkf/util/strings.h"

namespace kf::action {

namespace stdfs = std::filesystem;

namespace {

std::string project_readme(const std::string& name) {
  return fmt::format(R"(# {0}

A machine-learning project managed by kf; its spec is `kf.yaml`.

    kf train              # train on this machine (or --target NAME for a cluster)
    kf render all         # the Kubernetes objects kf would submit
    kf validate           # check kf.yaml

Edit `kf.yaml` to change the model, the data or the hyperparameters; `man kf-init`
documents every field. Put your own versions of kf's manifest templates in
`templates/` (for example `templates/pytorchjob.yaml`) to change what is rendered.
)",
                     name);
}

std::string intents_readme(const std::string& name) {
  return fmt::format(R"(# {0}

A customer-service intent classifier managed by kf: BANKING77's 13,083 online-banking
queries in 77 intents (data/, CC BY 4.0, PolyAI; see data/README.md). Its spec is `kf.yaml`.

    kf train                                        # a transformer: ~2 minutes on two cores, ~91% test accuracy
    kf serve --detach                               # kf-server tokenizes text requests itself
    kf predict --text "my card has not arrived yet" # -> card_arrival
    kf status                                       # the runs; kf status RUN for one (-w: live)
    kf monitor --labels labels.csv                  # the logged answers against labels that came later
    kf tune --set tuning.maxTrials=4                # Katib on this machine: lr, layers, heads, dropout
    kf render all                                   # the Kubernetes objects for a cluster

Edit `kf.yaml` to change the model or the hyperparameters; `man kf-init` documents every field.
)",
                     name);
}

const char* k_gitignore = R"(# kf's local state: runs, logs, checkpoints, the metadata store
.kf/
# build outputs
/build/
)";

// Splits "URL#REF" (the fragment names a branch, tag or commit).
std::pair<std::string, std::string> split_ref(const std::string& from) {
  const auto hash = from.rfind('#');
  if (hash == std::string::npos) return {from, ""};
  return {from.substr(0, hash), from.substr(hash + 1)};
}

// Replaces the scalar of metadata.name in kf.yaml's text, keeping comments.
std::string rename_project(const std::string& text, const std::string& file, const std::string& name) {
  const yaml::Node root = yaml::parse(text, file);
  const yaml::Node* meta = root.find("metadata");
  const yaml::Node* old = meta ? meta->find("name") : nullptr;
  if (!old || !old->is_scalar() || old->quoted)
    throw Error(file + ": cannot set the project name: metadata.name is missing or quoted");
  const auto lines = str::split(text, '\n');
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string line = lines[i];
    if (static_cast<int>(i) + 1 == old->loc.line) {
      const auto col = static_cast<std::size_t>(old->loc.col - 1);
      if (line.compare(col, old->scalar.size(), old->scalar) == 0) line.replace(col, old->scalar.size(), name);
    }
    out += line;
    if (i + 1 < lines.size()) out += '\n';
  }
  return out;
}

std::vector<std::string> list_files(const stdfs::path& root) {
  std::vector<std::string> files;
  for (auto it = stdfs::recursive_directory_iterator(root); it != stdfs::recursive_directory_iterator(); ++it) {
    if (it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    // lexically: stdfs::relative() would follow a symbolic link to its target
    if (it->is_regular_file() || it->is_symlink()) files.push_back(it->path().lexically_relative(root).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A template's symbolic links must stay inside it: one to /etc or ~/.ssh
// would make the new project read (and kf build package) what is not its
// own. Followed as the kernel would (a link through another link too).
void check_links(const std::string& url, const stdfs::path& root, const std::vector<std::string>& files) {
  const stdfs::path top = stdfs::canonical(root);
  for (const auto& f : files) {
    if (!stdfs::is_symlink(root / f)) continue;
    // From the link's directory (weakly_canonical() of the link itself
    // would keep a dangling one as it is).
    std::error_code ec;
    const stdfs::path target = stdfs::read_symlink(root / f);
    const stdfs::path real = stdfs::weakly_canonical(target.is_absolute() ? target : (root / f).parent_path() / target, ec);
    const auto rel = real.lexically_relative(top);
    if (ec || rel.empty() || *rel.begin() == "..")
      throw Error("template " + url + ": " + f + " is a symbolic link to " + target.string() +
                  ", outside the template; kf init refuses it");
  }
}

// staging/tree: the template cloned (without .git, renamed with --name), or
// kf.yaml, README.md and .gitignore; returns the files, relative to the tree.
std::vector<std::string> prepare_tree(const Context& ctx, const InitOptions& options, const std::string& name,
                                      const stdfs::path& staging) {
  std::error_code ec;
  if (options.from.empty()) {
    stdfs::create_directory(staging / "tree");
    fs::write_file_atomic(staging / "tree" / "kf.yaml", scaffold_kf_yaml(name, options.framework, options.example));
    fs::write_file_atomic(staging / "tree" / "README.md",
                          options.example == "intents" ? intents_readme(name) : project_readme(name));
    fs::write_file_atomic(staging / "tree" / ".gitignore", k_gitignore);
    std::vector<std::string> files = {".gitignore", "README.md", "kf.yaml"};
    if (options.example == "intents") {
      stdfs::create_directory(staging / "tree" / "data");
      for (const auto& f : banking77_files()) {
        fs::write_file_atomic(staging / "tree" / std::string(f.path), f.content);
        files.emplace_back(f.path);
      }
      std::sort(files.begin(), files.end());
    }
    return files;
  }
  const auto [url, ref] = split_ref(options.from);
  if (url.find("://") == std::string::npos && url.find('@') == std::string::npos && !stdfs::is_directory(url, ec))
    throw Error("cannot clone " + url + ": no such directory");
  ctx.reporter.info("cloning " + url + (ref.empty() ? "" : " at " + ref));
  const stdfs::path clone_dir = staging / "clone";
  git::clone(url, ref, clone_dir);
  stdfs::remove_all(clone_dir / ".git");
  if (!stdfs::is_regular_file(clone_dir / spec::k_project_file))
    throw Error("template " + url + " has no " + spec::k_project_file + " at its root");
  if (!options.name.empty()) {
    const auto file = clone_dir / spec::k_project_file;
    fs::write_file_atomic(file, rename_project(fs::read_file(file), options.from + ":kf.yaml", name));
  }
  std::vector<std::string> files = list_files(clone_dir);
  check_links(url, clone_dir, files);
  stdfs::rename(clone_dir, staging / "tree");
  return files;
}

// Throws naming the files that exist already.
void refuse_clashes(const InitResult& result) {
  std::vector<std::string> clashes;
  for (const auto& f : result.files)
    if (stdfs::exists(result.dir / f)) clashes.push_back(f);
  if (!clashes.empty())
    throw Error(str::join(clashes, ", ") + (clashes.size() == 1 ? " already exists" : " already exist") + " in " +
                result.dir.string() + " (use --force to overwrite)");
}

} // namespace

InitResult init(const Context& ctx, const InitOptions& options) {
  InitResult result;
  std::error_code ec;
  result.dir = stdfs::weakly_canonical(stdfs::absolute(options.dir), ec);
  if (ec) result.dir = stdfs::absolute(options.dir);
  result.name = options.name.empty() ? result.dir.filename().string() : options.name;
  if (!str::is_dns1123_label(result.name)) {
    throw UsageError("invalid project name " + str::quote(result.name) +
                     ": use lower-case letters, digits and '-', starting and ending with a letter or digit" +
                     (options.name.empty() ? " (the name comes from the directory; pass --name NAME)" : ""));
  }
  if (options.framework != "pytorch" && options.framework != "tensorflow")
    throw UsageError("unsupported framework " + str::quote(options.framework) +
                     str::did_you_mean(options.framework, {"pytorch", "tensorflow"}) +
                     ": supported values: \"pytorch\", \"tensorflow\"");
  if (!options.example.empty()) {
    if (std::find(k_init_examples.begin(), k_init_examples.end(), options.example) == k_init_examples.end())
    {
      std::vector<std::string> quoted;
      for (const auto& e : k_init_examples) quoted.push_back(str::quote(e));
      throw UsageError("unknown example " + str::quote(options.example) + str::did_you_mean(options.example, k_init_examples) +
                       ": the examples are " + str::join(quoted, ", "));
    }
    if (!options.from.empty()) throw UsageError("--example and --from cannot be used together");
  }
  if (stdfs::exists(result.dir) && !stdfs::is_directory(result.dir))
    throw Error(result.dir.string() + " exists and is not a directory");

  const bool dir_existed = stdfs::exists(result.dir);
  const stdfs::path parent = result.dir.parent_path();
  if (!dir_existed) stdfs::create_directories(parent, ec);
  // Staged beside (or inside) the destination, so the final moves are renames on one file system.
  fs::TempDirGuard staging(fs::make_temp_dir(dir_existed ? result.dir : parent, "kf-init"));

  // 1. Prepare every file in the staging directory.
  result.files = prepare_tree(ctx, options, result.name, staging.path());
  const stdfs::path tree = staging.path() / "tree";
  // The project must load before anything lands in the user's directory;
  // errors name the template, not the staging directory.
  const std::string shown = options.from.empty() ? std::string(spec::k_project_file)
                                                 : split_ref(options.from).first + "/" + spec::k_project_file;
  spec::decode_project(yaml::parse(fs::read_file(tree / spec::k_project_file), shown));

  // 2. Refuse to overwrite without --force.
  if (dir_existed && !options.force) refuse_clashes(result);

  // 3. Git: a first commit, unless the directory is inside a repository.
  const auto enclosing = git::find_repository(dir_existed ? result.dir : parent);
  if (enclosing) result.repository = enclosing->string();
  const bool make_repo = options.git && !enclosing && !(dir_existed && stdfs::exists(result.dir / ".git"));
  if (make_repo && !dir_existed) result.commit = git::init_and_commit(tree, result.files, "Initial commit: kf init " + result.name);

  // 4. Move into place: a new directory in one rename, else file by file.
  if (!dir_existed) {
    stdfs::rename(tree, result.dir);
  } else {
    for (const auto& f : result.files) {
      const stdfs::path dest = result.dir / f;
      stdfs::create_directories(dest.parent_path());
      stdfs::rename(tree / f, dest);
    }
    if (make_repo) result.commit = git::init_and_commit(result.dir, result.files, "Initial commit: kf init " + result.name);
  }
  for (const auto& f : result.files) ctx.reporter.debug("wrote " + (result.dir / f).string());
  return result;
}

} // namespace kf::action
