#include "libkf/cluster/cluster_target.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <future>
#include <random>
#include <thread>

#include "libkf/target/summary.h"
#include "libkf/util/git.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::cluster {

namespace {

constexpr const char* k_run_label = "kf.dev/run";
constexpr const char* k_parameters_annotation = "kf.dev/parameters";
// Per submission, "<ms since the epoch>-<16 random hex digits>": the random
// part tells our own object when a retried create finds it (client.h,
// Client::create); the time orders runs created within one second.
constexpr const char* k_submission_annotation = "kf.dev/submission";
constexpr int k_name_attempts = 10; // numbers tried after the highest one in use

std::string submission_token() {
  std::random_device rd;
  std::uniform_int_distribution<int> hex(0, 15);
  std::string out = std::to_string(now_ms()) + "-";
  for (int i = 0; i < 16; ++i) out += "0123456789abcdef"[hex(rd)];
  return out;
}

std::string meta(const Json& obj, const char* key) { return json_text(json_field(obj, "metadata"), key); }

std::string label(const Json& obj, const std::string& key) {
  return json_text(json_field(json_field(obj, "metadata"), "labels"), key.c_str());
}

std::string annotation(const Json& obj, const char* key) {
  return json_text(json_field(json_field(obj, "metadata"), "annotations"), key);
}

kube::ObjectRef ref_of(const Json& obj) { return kube::ObjectRef::of(obj); }

// "demo-10" after "demo-9": names compared with their trailing numbers as numbers.
bool natural_less(const std::string& a, const std::string& b) {
  const auto split = [](const std::string& s) { // {prefix, trailing digits}
    const auto end = s.find_last_not_of("0123456789");
    const std::size_t at = end == std::string::npos ? 0 : end + 1;
    return std::pair{s.substr(0, at), s.substr(at)};
  };
  const auto [pa, na] = split(a);
  const auto [pb, nb] = split(b);
  if (pa != pb || na.empty() || nb.empty()) return a < b;
  return na.size() != nb.size() ? na.size() < nb.size() : na < nb;
}

// The submission's time in ms, 0 for an object kf did not submit.
std::int64_t submitted_ms(const Json& obj) {
  const std::string token = annotation(obj, k_submission_annotation);
  const auto dash = token.find('-');
  return dash == std::string::npos ? 0 : std::atoll(token.substr(0, dash).c_str());
}

// Newest first: creation time (to the second), the submission's time, then the run number.
bool newer(const Json& a, const Json& b) {
  const std::string ta = meta(a, "creationTimestamp"), tb = meta(b, "creationTimestamp");
  if (ta != tb) return ta > tb;
  if (const auto ma = submitted_ms(a), mb = submitted_ms(b); ma != mb) return ma > mb;
  return natural_less(meta(b, "name"), meta(a, "name"));
}

} // namespace

const std::vector<RunKind>& run_kinds() {
  static const std::vector<RunKind> kinds = {
      {"kubeflow.org/v1", "PyTorchJob", "training.kubeflow.org/job-name"},
      {"kubeflow.org/v1", "TFJob", "training.kubeflow.org/job-name"},
      {"trainer.kubeflow.org/v1alpha1", "TrainJob", "jobset.sigs.k8s.io/jobset-name"},
      {"kubeflow.org/v1beta1", "Experiment", "katib.kubeflow.org/experiment"},
      {"serving.kserve.io/v1beta1", "InferenceService", "serving.kserve.io/inferenceservice"},
      {"argoproj.io/v1alpha1", "Workflow", "workflows.argoproj.io/workflow"},
      {"kubeflow.org/v1", "Notebook", "notebook-name"},
  };
  return kinds;
}

std::string replica_of(const Json& pod) {
  const std::string type = label(pod, "training.kubeflow.org/replica-type");
  const std::string replicated_job = label(pod, "jobset.sigs.k8s.io/replicatedjob-name"); // a TrainJob's JobSet
  if (type.empty() && !replicated_job.empty()) {
    const std::string index = label(pod, "batch.kubernetes.io/job-completion-index");
    return replicated_job + "-" + (index.empty() ? "0" : index);
  }
  if (type.empty()) {
    const std::string node =
        json_text(json_field(json_field(pod, "metadata"), "annotations"), "workflows.argoproj.io/node-name");
    return node.empty() ? meta(pod, "name") : node;
  }
  std::string lower;
  for (const char c : type) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string index = label(pod, "training.kubeflow.org/replica-index");
  return lower + "-" + (index.empty() ? "0" : index);
}

ClusterTarget::ClusterTarget(std::shared_ptr<kube::Client> client, ClusterOptions options)
    : m_client(std::move(client)), m_o(std::move(options)) {}

std::string ClusterTarget::run_selector() const {
  return std::string(k_run_label) + ",app.kubernetes.io/part-of=" + m_o.project;
}

const RunKind* ClusterTarget::served(const RunKind& k) const {
  return m_client->resource(k.api_version, k.kind) ? &k : nullptr;
}

// Over every kind of run, not only the object's: kf status, logs and delete
// find a run by its name alone (a v1 PyTorchJob and a v2 TrainJob of one
// project are both demo-train-N).
int ClusterTarget::highest_number(const Json& object) const {
  const std::string base = meta(object, "name");
  std::vector<Json> runs = objects();
  const bool run_kind = std::any_of(run_kinds().begin(), run_kinds().end(), [&](const RunKind& k) {
    return k.kind == object.value("kind", "") && k.api_version == object.value("apiVersion", "");
  });
  if (!run_kind) {
    kube::ListOptions lo;
    lo.namespace_ = m_o.namespace_;
    lo.label_selector = run_selector();
    for (auto& o : m_client->list(object.value("apiVersion", ""), object.value("kind", ""), lo)) runs.push_back(std::move(o));
  }
  int highest = 0;
  for (const auto& o : runs) {
    const std::string name = meta(o, "name");
    if (!str::starts_with(name, base + "-")) continue;
    const std::string n = name.substr(base.size() + 1);
    if (!n.empty() && n.size() < 9 && n.find_first_not_of("0123456789") == std::string::npos)
      highest = std::max(highest, std::stoi(n));
  }
  return highest;
}

target::Submitted ClusterTarget::submit(const Json& object, const target::SubmitOptions& options) {
  const std::string kind = object.value("kind", "");
  const std::string api_version = object.value("apiVersion", "");
  if (!m_client->resource(api_version, kind))
    throw Error(m_o.name + " (" + m_client->server() + ") does not serve " + kind + " (" + api_version +
                "): install its operator first (kf apply installs the platform of kf.yaml)");
  for (const auto& s : options.supporting) {
    Json o = s;
    o["metadata"]["namespace"] = m_o.namespace_;
    m_client->apply(o, kube::ApplyOptions{"kf", true, false, ""});
  }
  Json obj = object;
  obj["metadata"]["namespace"] = m_o.namespace_;
  obj["metadata"]["labels"]["app.kubernetes.io/part-of"] = m_o.project;
  if (options.parameters.is_object() && !options.parameters.empty())
    obj["metadata"]["annotations"][k_parameters_annotation] = options.parameters.dump();
  if (!m_o.project_dir.empty())
    if (const auto head = git::head(m_o.project_dir); head && !head->commit.empty())
      obj["metadata"]["annotations"]["kf.dev/git-commit"] = head->commit + (head->dirty ? "+dirty" : "");
  const std::string token = submission_token();
  obj["metadata"]["annotations"][k_submission_annotation] = token;
  // The run's name is claimed by creating the object: the server refuses a
  // taken name (409 AlreadyExists) atomically, so two kf processes that
  // counted the same next number cannot both have it, and a new run never
  // takes over an existing object (apply would merge into it, and the
  // operators do not restart a finished job applied again). A refused
  // number moves on to the next one.
  if (!options.run_name.empty()) target::check_new_run_name(options.run_name);
  const int first = options.run_name.empty() ? highest_number(obj) + 1 : 0;
  for (int attempt = 0;; ++attempt) {
    const std::string run =
        options.run_name.empty() ? meta(object, "name") + "-" + std::to_string(first + attempt) : options.run_name;
    obj["metadata"]["name"] = run;
    obj["metadata"]["labels"][k_run_label] = run;
    try {
      return {run, m_client->create(obj, kube::CreateOptions{"kf", false}), "namespace " + m_o.namespace_};
    } catch (const kube::AlreadyExists&) {
      // Ours after all when a retried request found what its first attempt stored.
      const auto existing = m_client->get(ref_of(obj));
      if (existing && annotation(*existing, k_submission_annotation) == token) return {run, *existing, "namespace " + m_o.namespace_};
      if (!options.run_name.empty())
        throw UsageError("run " + str::quote(run) + " already exists on " + m_o.name + " (kf delete " + run +
                         " removes it, or choose another --name)");
      if (attempt + 1 == k_name_attempts)
        throw Error("cannot find a free run name for " + meta(object, "name") + " on " + m_o.name + ": " +
                    meta(object, "name") + "-" + std::to_string(first) + " to " + run +
                    " are taken (other runs are being submitted at the same time); try again");
    }
  }
}

std::optional<Json> ClusterTarget::get(const std::string& run) const {
  target::check_run_name(run); // "" would GET the kind's list, "x/status" a subresource
  for (const auto& k : run_kinds()) {
    if (!served(k)) continue;
    if (auto o = m_client->get(kube::ObjectRef{k.api_version, k.kind, m_o.namespace_, run}))
      if (!label(*o, k_run_label).empty()) return o;
  }
  return std::nullopt;
}

std::vector<Json> ClusterTarget::objects() const {
  // One list per kind, all at once: the requests wait on the network, not on us.
  std::vector<std::future<std::vector<Json>>> lists;
  for (const auto& k : run_kinds())
    lists.push_back(std::async(std::launch::async, [this, &k] {
      if (!served(k)) return std::vector<Json>{};
      kube::ListOptions lo;
      lo.namespace_ = m_o.namespace_;
      lo.label_selector = run_selector();
      auto items = m_client->list(k.api_version, k.kind, lo);
      for (auto& o : items) { // list items carry no apiVersion/kind
        o["apiVersion"] = k.api_version;
        o["kind"] = k.kind;
      }
      return items;
    }));
  std::vector<Json> all;
  for (auto& f : lists)
    for (auto& o : f.get()) all.push_back(std::move(o));
  std::stable_sort(all.begin(), all.end(), newer);
  return all;
}

std::vector<std::string> ClusterTarget::list() const {
  std::vector<std::string> names;
  for (const auto& o : objects()) names.push_back(meta(o, "name"));
  return names;
}

std::string ClusterTarget::resolve(const std::string& run) const {
  if (run != "@latest") {
    target::check_run_name(run);
    return run;
  }
  const auto names = list();
  if (names.empty()) throw Error("no runs on " + m_o.name + " yet (kf train --target " + m_o.name + " starts one)");
  return names.front();
}

void ClusterTarget::watch(const std::string& run, const target::WatchOptions& options,
                          const std::function<bool(const Json&)>& on_change) const {
  auto current = get(run);
  if (!current) throw Error("run " + str::quote(run) + " does not exist on " + m_o.name);
  if (!on_change(*current) || target::summarize(*current).settled) return;
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + options.timeout;
  kube::WatchOptions wo;
  wo.namespace_ = m_o.namespace_;
  wo.field_selector = "metadata.name=" + run;
  wo.resource_version = meta(*current, "resourceVersion");
  const std::string api_version = current->value("apiVersion", ""), kind = current->value("kind", "");
  bool deleted = false, done = false;
  std::string state = target::summarize(*current).state;
  // In slices of at most a second, so that keep_going and the deadline are looked at.
  while (!done && !deleted) {
    if (options.keep_going && !options.keep_going()) return;
    auto slice = std::chrono::milliseconds(1000);
    if (options.timeout.count() > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
      if (left.count() <= 0) break;
      slice = std::min(slice, left);
    }
    wo.timeout = slice;
    wo.resource_version = m_client->watch(api_version, kind, wo, [&](const kube::WatchEvent& e) {
      if (e.type == "BOOKMARK") return true;
      if (e.type == "DELETED") {
        deleted = true;
        return false;
      }
      Json o = e.object;
      o["apiVersion"] = api_version;
      o["kind"] = kind;
      const auto s = target::summarize(o);
      state = s.state;
      done = !on_change(o) || s.settled;
      return !done;
    });
  }
  if (deleted) throw Error("run " + str::quote(run) + " was deleted from " + m_o.name);
  if (!done)
    throw Error("timed out after " + std::to_string(options.timeout.count() / 1000) + "s waiting for run " + run +
                " (it is " + state + "; kf status " + run + " shows more)");
}

std::optional<std::vector<Json>> ClusterTarget::installed_crds() const {
  std::vector<Json> crds;
  for (const auto& crd : m_client->list("apiextensions.k8s.io/v1", "CustomResourceDefinition", kube::ListOptions{})) {
    Json c = crd;
    c["apiVersion"] = "apiextensions.k8s.io/v1";
    c["kind"] = "CustomResourceDefinition";
    crds.push_back(std::move(c));
  }
  return crds;
}

void ClusterTarget::watch_runs(const std::function<bool()>& on_event, const std::function<bool()>& keep_going) const {
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::exception_ptr failure;
  std::vector<std::thread> watchers;
  for (const auto& k : run_kinds()) {
    if (!served(k)) continue;
    watchers.emplace_back([&, &k = k] {
      try {
        kube::WatchOptions wo;
        wo.namespace_ = m_o.namespace_;
        wo.label_selector = run_selector();
        wo.timeout = std::chrono::seconds(1); // how soon a stop is noticed when nothing changes
        while (!stop && keep_going())
          wo.resource_version = m_client->watch(k.api_version, k.kind, wo, [&](const kube::WatchEvent& e) {
            if (stop) return false;
            if (e.type == "BOOKMARK") return true;
            const std::lock_guard lock(mu);
            if (!stop && !on_event()) stop = true;
            return !stop;
          });
      } catch (...) {
        const std::lock_guard lock(mu);
        if (!failure) failure = std::current_exception();
        stop = true;
      }
    });
  }
  for (auto& t : watchers) t.join();
  if (failure) std::rethrow_exception(failure);
}

std::vector<Json> ClusterTarget::pods(const Json& object) const {
  const std::string kind = object.value("kind", "");
  std::string key;
  for (const auto& k : run_kinds())
    if (k.kind == kind) key = k.pod_label;
  if (key.empty()) return {};
  kube::ListOptions lo;
  lo.namespace_ = m_o.namespace_;
  lo.label_selector = key + "=" + meta(object, "name");
  auto pods = m_client->list("v1", "Pod", lo);
  std::stable_sort(pods.begin(), pods.end(), [](const Json& a, const Json& b) {
    const std::string ta = meta(a, "creationTimestamp"), tb = meta(b, "creationTimestamp");
    return ta != tb ? ta < tb : meta(a, "name") < meta(b, "name");
  });
  return pods;
}

bool ClusterTarget::stop(const std::string& run) {
  const auto o = get(run);
  if (!o) return false;
  if (target::is_finished(*o)) return true; // ended: kept as it ended, never deleted by a stop
  if (o->value("kind", "") != "Notebook") return remove(run); // the operators have no stop
  // As Kubeflow's UI stops a notebook: the annotation, which scales it to zero
  // (its own field manager: kf's apply of the Notebook keeps its fields).
  Json patch = {{"apiVersion", o->value("apiVersion", "")},
                {"kind", "Notebook"},
                {"metadata", {{"name", meta(*o, "name")}, {"namespace", m_o.namespace_},
                              {"annotations", {{"kubeflow-resource-stopped", now_rfc3339()}}}}}};
  m_client->apply(patch, kube::ApplyOptions{"kf-stop", true, false, ""});
  return true;
}

target::Submitted ClusterTarget::resume(const std::string& name, const Json& patch) {
  const std::string run = resolve(name);
  const auto o = get(run);
  if (!o) throw Error("run " + str::quote(run) + " does not exist on " + m_o.name + " (kf status lists the runs)");
  const std::string kind = o->value("kind", "");
  if (kind != "TrainJob")
    throw UsageError("on a cluster kf resume releases a suspended TrainJob; a " + kind + " resumes on the local target, where kf is its "
                     "controller" + (kind == "Workflow" ? " (on a cluster, argo resume " + run + ")" : std::string()));
  if (target::state_of(*o) != "Suspended")
    throw UsageError("run " + run + " is not suspended (" + target::summarize(*o).state + ")");
  if (!patch.empty()) throw UsageError("a suspended TrainJob resumes as it was submitted: kf resume " + run + " takes no --set");
  const Json change = {{"apiVersion", o->value("apiVersion", "")},
                       {"kind", kind},
                       {"metadata", {{"name", run}, {"namespace", m_o.namespace_}}},
                       {"spec", {{"suspend", false}}}};
  kube::ApplyOptions ao;
  ao.field_manager = "kf-resume";
  ao.force = true; // spec.suspend is the submitter's
  return {run, m_client->apply(change, ao), "namespace " + m_o.namespace_};
}

bool ClusterTarget::remove(const std::string& run) {
  const auto o = get(run);
  if (!o) return false;
  return m_client->remove(ref_of(*o), kube::DeleteOptions{"Background", false});
}

} // namespace kf::cluster
