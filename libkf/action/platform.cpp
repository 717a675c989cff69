#include "libkf/action/platform.h"

#include <map>
#include <set>

#include "libkf/render/render.h"
#include "libkf/spec/target.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::action {

namespace stdfs = std::filesystem;
using platform::Manifest;

namespace {

const char* k_project_component = "project";

// The project's objects that live on (see platform.h), when a selected component serves their kinds.
std::vector<Manifest> project_objects(const Context& ctx, const spec::Project& project, const stdfs::path& dir,
                                      const std::set<std::string>& provided) {
  const render::Renderer renderer(project, dir);
  std::vector<Manifest> out;
  auto add = [&](const std::vector<Json>& objects, const std::string& what) {
    for (const auto& o : objects) out.push_back({o, "kf.yaml: " + what, k_project_component});
  };
  if (project.serving.present) {
    if (provided.count("InferenceService")) add(renderer.serving(), "spec.serving");
    else ctx.reporter.info("spec.serving: not applied (no component of spec.platform provides InferenceService)");
  }
  for (const auto& nb : project.notebooks) {
    if (provided.count("Notebook")) add(renderer.notebook(nb), "spec.notebooks " + nb.name);
    else ctx.reporter.info("notebook " + nb.name + ": not applied (no component of spec.platform provides Notebook)");
  }
  return out;
}

// The namespace objects without one go to, when some do: added (labelled as kf's) unless a component
// renders it, or it exists on the cluster without kf's labels for this project (then it is not kf's).
void ensure_namespace(std::vector<Manifest>& manifests, const std::string& ns, bool is_default, const std::string& component,
                      const std::string& project, kube::Client* client) {
  bool needed = false;
  for (const auto& m : manifests) {
    if (m.object.value("kind", "") == "Namespace" && m.object["metadata"].value("name", "") == ns) return;
    const std::string own = m.object["metadata"].value("namespace", "");
    needed = needed || own == ns || (is_default && own.empty() && !platform::cluster_scoped(m.object, manifests));
  }
  if (!needed || ns == "default" || ns == "kube-system" || ns == "kube-public") return; // every cluster has these
  if (client) {
    const auto existing = client->get(kube::ObjectRef{"v1", "Namespace", "", ns});
    if (existing && !platform::has_kf_labels(*existing, project)) return;
  }
  Json obj = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
  manifests.insert(manifests.begin(), Manifest{obj, "spec.platform.namespace", component});
}

kube::KubeconfigOptions cluster_options(const spec::TargetSpec& target, kube::KubeconfigOptions flags) {
  if (target.type != "cluster") return flags;
  if (flags.kubeconfig.empty()) flags.kubeconfig = target.kubeconfig;
  if (flags.context.empty()) flags.context = target.context;
  return flags;
}

spec::LoadedProject load(const spec::LoadOptions& options) {
  if (!spec::find_project_file(options.start))
    throw UsageError("kf apply without -f installs the platform of kf.yaml, and there is no kf.yaml in " +
                     stdfs::weakly_canonical(stdfs::absolute(options.start)).string() +
                     " or any parent directory (kf init creates one; kf apply -f FILE applies manifests)");
  return spec::load_project(options);
}

} // namespace

PlatformPlan plan_platform(const Context& ctx, const PlatformOptions& options) {
  auto loaded = load(options.load);
  spec::select_target(loaded.project, options.target); // the project's objects go to its namespace
  const spec::Project& project = loaded.project;
  const platform::Index& index = options.index ? *options.index : platform::builtin_index();
  const std::string source = project.platform.source;
  const auto selected = platform::select(index, project.platform, platform::split_ref(source).second);
  if (selected.empty())
    throw UsageError(loaded.file.string() + ": spec.platform.components is empty: name the components to install " +
                     "(known: " + str::join(index.names(), ", ") + "), or use kf apply -f FILE");
  const platform::RenderTools tools = options.tools ? *options.tools : platform::installed_tools();
  PlatformPlan plan;
  plan.project = project.name;
  plan.platform_namespace = project.platform.namespace_;
  plan.project_namespace = project.namespace_;
  std::map<std::string, stdfs::path> fetched; // url#ref -> checkout
  std::set<std::string> provided;
  for (const auto& s : selected) {
    const auto origin = platform::origin(s, source, loaded.dir);
    RenderedComponent rc{s.component.name, origin.ref, origin.path.string(), 0, s.implied};
    stdfs::path dir = origin.path;
    if (!origin.git.empty()) {
      const std::string key = origin.git + "#" + origin.ref;
      if (!fetched.count(key)) fetched[key] = platform::fetch(origin.git, origin.ref, options.fetch);
      dir = fetched[key] / origin.path;
      rc.from = key + ":" + origin.path.string();
    }
    if (s.implied) ctx.reporter.info(s.component.name + ": installed too (required by another component)");
    auto objects = platform::render_dir(s.component.name, dir, source.empty() ? s.component.render : "", tools);
    rc.objects = objects.size();
    ctx.reporter.debug(s.component.name + ": " + std::to_string(rc.objects) + " objects from " + rc.from);
    plan.manifests.insert(plan.manifests.end(), objects.begin(), objects.end());
    plan.components.push_back(rc);
    provided.insert(s.component.provides.begin(), s.component.provides.end());
  }
  const auto own = project_objects(ctx, project, loaded.dir, provided);
  plan.manifests.insert(plan.manifests.end(), own.begin(), own.end());
  return plan;
}

PlatformResult apply_platform(const Context& ctx, const PlatformOptions& options, kube::Client* client) {
  PlatformResult r;
  r.plan = plan_platform(ctx, options);
  ApplyOptions ao = options.apply;
  if (ao.kubeconfig.namespace_.empty()) ao.kubeconfig.namespace_ = r.plan.platform_namespace;
  ensure_namespace(r.plan.manifests, r.plan.project_namespace, false, "project", r.plan.project, client);
  ensure_namespace(r.plan.manifests, ao.kubeconfig.namespace_, true, "platform", r.plan.project, client);
  r.applied = apply_manifests(ctx, ao, client, r.plan.manifests, r.plan.project);
  return r;
}

PlatformResult apply_platform(const Context& ctx, const PlatformOptions& options) {
  if (options.apply.dry_run == DryRun::client) return apply_platform(ctx, options, nullptr);
  auto loaded = load(options.load);
  const auto target = spec::select_target(loaded.project, options.target);
  std::string context_ns;
  auto client = connect(ctx, cluster_options(target, options.apply.kubeconfig), context_ns);
  return apply_platform(ctx, options, client.get());
}

DeleteAppliedResult delete_applied(const Context& ctx, const DeleteAppliedOptions& options) {
  kube::KubeconfigOptions kc = options.kubeconfig;
  if (options.platform) {
    auto loaded = spec::load_project(options.load);
    kc = cluster_options(spec::select_target(loaded.project, options.target), kc);
  }
  DeleteAppliedOptions resolved = options;
  auto client = connect(ctx, kc, resolved.kubeconfig.namespace_);
  return delete_applied(ctx, resolved, *client);
}

} // namespace kf::action
