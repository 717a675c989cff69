#include "cli/run_view.h"

#include "libkf/target/summary.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "cli/output.h"
#include "libkf/util/clock.h"

namespace kf::cli {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

const char* state_color(const std::string& s) {
  if (s == "Succeeded" || s == "Complete" || s == "Ready") return "32";
  if (s == "Failed" || s == "Stopped" || s == "Error") return "31";
  if (s == "Restarting") return "33";
  return "36";
}

// Seconds since an RFC 3339 time ("" = unknown).
std::string age(const std::string& rfc3339) {
  const auto t = parse_rfc3339(rfc3339);
  if (!t) return "";
  const double s = std::difftime(std::time(nullptr), static_cast<std::time_t>(*t));
  return duration_text(s < 0 ? 0 : s);
}

} // namespace

std::string duration_text(double seconds) {
  const long s = static_cast<long>(std::llround(seconds));
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%lds", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else if (s < 86400) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  else std::snprintf(buf, sizeof buf, "%ldd%02ldh", s / 86400, (s % 86400) / 3600);
  return buf;
}

std::string metrics_text(const Json& metrics) {
  if (!metrics.is_object() || metrics.empty()) return "";
  std::string out;
  for (const char* k : {"accuracy", "loss"})
    if (metrics.contains(k) && metrics[k].is_number()) out += (out.empty() ? "" : " ") + std::string(k) + "=" + fixed(metrics[k].get<double>(), 4);
  if (!out.empty()) return out;
  // Another trainer's metrics (a Katib trial's objective): the first three, as reported.
  int shown = 0;
  for (auto it = metrics.begin(); it != metrics.end() && shown < 3; ++it, ++shown)
    out += (out.empty() ? "" : " ") + it.key() + "=" +
           (it.value().is_number() ? fixed(it.value().get<double>(), 4) : it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  return out;
}

ProgressView::ProgressView(const Globals& g, std::string run)
    : m_run(std::move(run)), m_tty(::isatty(STDERR_FILENO) != 0), m_color(use_color(g, stderr)) {}

void ProgressView::draw(const std::vector<std::string>& lines) {
  if (m_tty) {
    std::string out;
    for (std::size_t i = 0; i < m_drawn; ++i) out += "\033[1A\r\033[K";
    for (const auto& l : lines) out += l + "\n";
    std::cerr << out << std::flush;
    m_drawn = lines.size();
  }
}

// An Experiment: trials done/running, the best so far, an ETA from the pace of finished trials.
void ProgressView::update_experiment(const Json& object, const Json& details, const std::string& state) {
  const auto summary = target::summarize(object);
  int running = 0, done = 0;
  for (const auto& t : details.value("trials", Json::array())) (t.value("state", "") == "Running" ? running : done) += 1;
  std::string line = summary.progress + (running > 0 ? ", " + std::to_string(running) + " running" : "");
  const int max = object["spec"].value("maxTrialCount", 0);
  if (done > 0 && m_step0 < 0) {
    m_step0 = done;
    m_t0 = now_s();
  } else if (m_step0 >= 0 && done > m_step0 && max > done) {
    line += "  ETA " + duration_text((max - done) * (now_s() - m_t0) / static_cast<double>(done - m_step0));
  }
  if (!m_tty) {
    if (state != m_last_state || done != m_last_epoch) std::cerr << m_run << ": " << (state.empty() ? "Created" : state) << "  " << line << '\n';
    m_last_state = state;
    m_last_epoch = done;
    return;
  }
  std::vector<std::string> lines = {
      paint(m_color, "1", m_run) + "  " + paint(m_color, state_color(state), state.empty() ? "Created" : state), "  " + line};
  int shown = 0; // the running trials and what they try
  for (const auto& t : details.value("trials", Json::array())) {
    if (t.value("state", "") != "Running" || ++shown > 8) continue;
    std::string params;
    for (auto it = t["parameters"].begin(); it != t["parameters"].end(); ++it)
      params += " " + it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
    lines.push_back("  " + t.value("name", "") + " " + paint(m_color, state_color("Running"), "Running") + params);
  }
  if (lines != m_last_lines) {
    draw(lines);
    m_last_lines = lines;
  }
}

void ProgressView::update(const Json& object, const Json& details) {
  std::string state;
  if (object.contains("status") && object["status"].contains("conditions"))
    for (const auto& c : object["status"]["conditions"])
      if (c.value("status", "") == "True") state = c.value("type", "");
  if (object.value("kind", "") == "Experiment") return update_experiment(object, details, state);
  const Json progress = details.value("progress", Json::object());
  const int epoch = progress.value("metricsEpoch", 0);

  if (!m_tty) { // plain lines: state changes and finished epochs
    if (state != m_last_state) std::cerr << m_run << ": " << state << '\n';
    if (epoch > m_last_epoch && progress.contains("metrics")) {
      std::cerr << m_run << ": epoch " << epoch;
      if (progress.value("epochs", 0) > 0) std::cerr << '/' << progress.value("epochs", 0);
      const Json& m = progress["metrics"];
      for (auto it = m.begin(); it != m.end(); ++it)
        if (it.value().is_number()) std::cerr << ' ' << it.key() << '=' << fixed(it.value().get<double>(), 4);
      std::cerr << '\n';
    }
    m_last_state = state;
    m_last_epoch = std::max(m_last_epoch, epoch);
    return;
  }

  std::vector<std::string> lines;
  std::string head = paint(m_color, "1", m_run) + "  " + paint(m_color, state_color(state), state.empty() ? "Created" : state);
  if (details.value("restarts", 0) > 0)
    head += "  restarts " + std::to_string(details.value("restarts", 0)) + "/" + std::to_string(details.value("backoffLimit", 0));
  lines.push_back(head);
  if (!progress.empty()) {
    const int e = progress.value("epoch", 0), es = progress.value("epochs", 0);
    const long step = progress.value("step", 0L), steps = progress.value("steps", 0L);
    std::string l = "  epoch " + std::to_string(e) + "/" + std::to_string(es) + "  step " + std::to_string(step) + "/" +
                    std::to_string(steps) + "  loss " + fixed(progress.value("loss", 0.0), 4);
    if (progress.contains("metrics") && progress["metrics"].contains("accuracy"))
      l += "  accuracy " + fixed(progress["metrics"]["accuracy"].get<double>(), 4);
    l += "  " + fixed(progress.value("samplesPerSecond", 0.0), 0) + " samples/s";
    const long global = (e > 0 ? e - 1 : 0) * steps + step, total = static_cast<long>(es) * steps;
    if (m_step0 < 0 && global > 0) {
      m_step0 = global;
      m_t0 = now_s();
    } else if (m_step0 >= 0 && global > m_step0 && total > global) {
      const double rate = static_cast<double>(global - m_step0) / (now_s() - m_t0);
      l += "  ETA " + duration_text(static_cast<double>(total - global) / rate);
    }
    lines.push_back(l);
  }
  std::string replicas = " ";
  for (const auto& r : details.value("replicas", Json::array())) {
    const std::string s = r.value("state", "");
    replicas += " " + r.value("name", "") + " " + paint(m_color, state_color(s), s);
  }
  if (replicas.size() > 1) lines.push_back(replicas);
  if (lines != m_last_lines) {
    draw(lines);
    m_last_lines = lines;
  }
}

void ProgressView::finish() {
  if (m_tty) draw({});
}

void print_runs_table(const std::vector<Json>& runs, bool color, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    std::string progress;
    if (r.contains("replicas") && r["replicas"].is_object()) {
      int active = 0, total = 0;
      for (auto it = r["replicas"].begin(); it != r["replicas"].end(); ++it) {
        active += it.value().value("active", 0);
        total += it.value().value("active", 0) + it.value().value("succeeded", 0) + it.value().value("failed", 0);
      }
      const std::string st = r.value("state", "");
      if (st == "Succeeded" || st == "Failed" || st == "Stopped") {
        int succeeded = 0;
        for (auto it = r["replicas"].begin(); it != r["replicas"].end(); ++it) succeeded += it.value().value("succeeded", 0);
        progress = std::to_string(succeeded) + "/" + std::to_string(total) + " succeeded";
      } else {
        progress = std::to_string(active) + "/" + std::to_string(total) + " running";
      }
    }
    if (r.contains("progress") && r.value("state", "") != "Succeeded" && r.value("state", "") != "Failed" &&
        r.value("state", "") != "Stopped")
      progress = "epoch " + std::to_string(r["progress"].value("epoch", 0)) + "/" + std::to_string(r["progress"].value("epochs", 0));
    if (r.contains("progressText")) progress = r["progressText"].get<std::string>();
    if (r.contains("url")) progress = r["url"].get<std::string>();
    if (r.contains("image")) progress = r["image"].get<std::string>().substr(0, r["image"].get<std::string>().find('@') + 20);
    const std::string state = r.value("state", "");
    rows.push_back({r.value("name", ""), r.value("kind", ""), paint(color, state_color(state), state),
                    age(r.value("created", "")), progress, metrics_text(r.value("metrics", Json::object())),
                    r.value("git", Json::object()).value("commit", "").substr(0, 7) +
                        (r.value("git", Json::object()).value("dirty", false) ? "+" : "")});
  }
  print_table({"NAME", "KIND", "STATE", "AGE", "PROGRESS", "METRICS", "COMMIT"}, rows, out);
}

namespace {

// "\nTitle:" and a table with a row per item: its string `fields`, under `header`.
void fields_section(std::ostream& out, const char* title, const Json& items, const std::vector<const char*>& fields,
                    std::vector<std::string> header) {
  out << "\n" << title << ":\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : items) {
    std::vector<std::string> row;
    for (const char* f : fields) row.push_back((row.empty() ? "  " : "") + item.value(f, ""));
    rows.push_back(std::move(row));
  }
  header.front() = "  " + header.front();
  print_table(header, rows, out);
}

// The header lines: name, kind, state, where it came from and went.
void detail_header(const Json& r, bool color, std::ostream& out) {
  const std::string state = r.value("state", "");
  out << "Name:      " << r.value("name", "") << '\n'
            << "Kind:      " << r.value("kind", "") << " (target " << r.value("target", "")
            << (r.contains("namespace") ? ", namespace " + r["namespace"].get<std::string>() : "") << ")\n"
            << "State:     " << paint(color, state_color(state), state)
            << (r.value("message", "").empty() ? "" : " — " + r.value("message", "")) << '\n';
  if (r.contains("created")) out << "Created:   " << r["created"].get<std::string>() << " (" << age(r["created"]) << " ago)\n";
  if (r.contains("git") && !r["git"].value("commit", "").empty())
    out << "Commit:    " << r["git"].value("commit", "") << (r["git"].value("dirty", false) ? " (dirty)" : "") << '\n';
  if (r.contains("parameters") && !r["parameters"].empty()) {
    out << "Parameters:";
    for (auto it = r["parameters"].begin(); it != r["parameters"].end(); ++it)
      out << ' ' << it.key() << '=' << (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
    out << '\n';
  }
  if (r.contains("runDir")) out << "Directory: " << r["runDir"].get<std::string>() << '\n';
  if (r.contains("model")) out << "Model:     " << r["model"].get<std::string>() << '\n';
  if (r.contains("url")) out << "URL:       " << r["url"].get<std::string>() << '\n';
  if (r.contains("image")) out << "Image:     " << r["image"].get<std::string>() << '\n';
  if (r.contains("progressText")) out << "Progress:  " << r["progressText"].get<std::string>() << '\n';
  if (r.contains("bestTrial")) {
    const Json& b = r["bestTrial"];
    out << "Best:      " << b.value("name", "") << " ";
    for (auto it = b["parameters"].begin(); it != b["parameters"].end(); ++it)
      out << ' ' << it.key() << '=' << (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
    out << "  → " << metrics_text(b["metrics"]) << '\n';
  }
}

// What the run's controller made: pods, trials, a workflow's nodes.
void detail_children(const Json& r, bool color, std::ostream& out) {
  if (r.contains("pods") && !r["pods"].empty()) {
    out << "\nPods:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : r["pods"])
      rows.push_back({"  " + p.value("replica", ""), p.value("name", ""), paint(color, state_color(p.value("phase", "")), p.value("phase", "")),
                      std::to_string(p.value("restarts", 0))});
    print_table({"  REPLICA", "POD", "PHASE", "RESTARTS"}, rows, out);
  }
  if (r.contains("trials") && !r["trials"].empty()) {
    out << "\nTrials:\n";
    std::vector<std::vector<std::string>> rows;
    bool pbt = false; // pbt's generations: a GENERATION and a PARENT column
    for (const auto& t : r["trials"]) pbt = pbt || !t.value("lineage", Json::object()).empty();
    for (const auto& t : r["trials"]) {
      std::string params;
      for (auto it = t["parameters"].begin(); it != t["parameters"].end(); ++it)
        params += (params.empty() ? "" : " ") + it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
      std::string metrics;
      for (auto it = t["metrics"].begin(); it != t["metrics"].end(); ++it)
        metrics += (metrics.empty() ? "" : " ") + it.key() + "=" + (it.value().is_number() ? fixed(it.value().get<double>(), 4) : it.value().dump());
      rows.push_back({"  " + t.value("name", ""), paint(color, state_color(t.value("state", "")), t.value("state", "")), params, metrics});
      if (pbt) {
        const Json lineage = t.value("lineage", Json::object());
        rows.back().insert(rows.back().begin() + 2, {lineage.contains("generation") ? lineage["generation"].dump() : "",
                                                     lineage.value("parent", "-")});
      }
    }
    if (pbt) print_table({"  TRIAL", "STATE", "GENERATION", "PARENT", "PARAMETERS", "METRICS"}, rows, out);
    else print_table({"  TRIAL", "STATE", "PARAMETERS", "METRICS"}, rows, out);
  }
  if (r.contains("nodes") && !r["nodes"].empty()) {
    out << "\nNodes:\n";
    print_workflow_nodes(r["nodes"], color, out);
  }
}

// The replicas' processes (local), the conditions and the events.
void detail_states(const Json& r, std::ostream& out) {
  if (r.contains("processes")) {
    out << "\nReplicas:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : r.value("processes", Json::array()))
      rows.push_back({"  " + p.value("name", ""), p.value("state", ""), std::to_string(p.value("restarts", 0)),
                      p["exitCode"].is_null() ? "" : std::to_string(p["exitCode"].get<int>())});
    print_table({"  REPLICA", "STATE", "RESTARTS", "EXIT CODE"}, rows, out);
  }
  if (r.contains("conditions"))
    fields_section(out, "Conditions", r["conditions"], {"type", "status", "reason", "lastTransitionTime", "message"},
                   {"TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"});
  if (r.contains("events") && !r["events"].empty())
    fields_section(out, "Events", r["events"], {"type", "reason", "object", "time", "message"},
                   {"TYPE", "REASON", "OBJECT", "AT", "MESSAGE"});
}

// What the run recorded: metrics per epoch, artifacts, lineage, the failing replica's log.
void detail_records(const Json& r, std::ostream& out) {
  if (r.contains("epochs") && !r["epochs"].empty()) {
    out << "\nMetrics:\n";
    std::vector<std::string> header = {"  EPOCH"};
    const Json& first = r["epochs"][0];
    for (auto it = first.begin(); it != first.end(); ++it)
      if (it.key() != "epoch") header.push_back(it.key());
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : r["epochs"]) {
      std::vector<std::string> row = {"  " + std::to_string(e.value("epoch", 0))};
      for (std::size_t i = 1; i < header.size(); ++i)
        row.push_back(e.contains(header[i]) && e[header[i]].is_number() ? fixed(e[header[i]].get<double>(), 4) : "");
      rows.push_back(row);
    }
    for (auto& h : header) for (auto& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    print_table(header, rows, out);
  }
  if (r.contains("artifacts") && !r["artifacts"].empty()) {
    out << "\nArtifacts:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : r["artifacts"])
      rows.push_back({"  " + a.value("direction", ""), a.value("type", ""), a.value("uri", ""), a.value("sha256", "").substr(0, 12)});
    print_table({"  EVENT", "TYPE", "URI", "SHA256"}, rows, out);
  }
  if (r.contains("lineage") && !r["lineage"].empty()) {
    out << "\nLineage:\n";
    for (const auto& l : r["lineage"])
      out << "  " << (l.value("relation", "") == "produced-input" ? "input from " : "output used by ") << l.value("run", "")
                << " (" << l.value("artifact", "") << ")\n";
  }
  if (r.contains("modelLineage") && !r["modelLineage"].empty()) {
    out << "\nModel lineage:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& o : r["modelLineage"]) {
      const std::string step = o.value("step", "");
      rows.push_back({std::string(2 + 2 * static_cast<std::size_t>(o.value("depth", 0)), ' ') + o.value("artifact", ""),
                      o.value("sha256", "").substr(0, 12),
                      step.empty() ? "from outside the run" : "written by " + step + (o.value("cached", false) ? " (cached)" : "")});
    }
    print_table({"  ARTIFACT", "SHA256", "ORIGIN"}, rows, out);
  }
  if (r.contains("logTail")) {
    out << "\nLast lines of " << r.value("failedReplica", "") << "'s log:\n";
    for (const auto& l : r["logTail"]) out << "  " << l.get<std::string>() << '\n';
  }
}

// A model server's requests, latency and answers by class (libkf/action/serving_stats.h).
void detail_serving(const Json& r, std::ostream& out) {
  if (!r.contains("serving") || !r["serving"].is_object()) return;
  const Json& s = r["serving"];
  const auto requests = s.value("requests", 0LL), errors = s.value("errors", 0LL);
  out << "\nServing:\n  requests:   " << requests << " (" << errors << " errors"
      << (requests > 0 ? ", " + fixed(100.0 * static_cast<double>(errors) / static_cast<double>(requests), 1) + "%" : "") << ")\n";
  if (s.contains("latency"))
    out << "  latency:    p50 " << fixed(1000.0 * s["latency"].value("p50", 0.0), 2) << " ms, p99 "
        << fixed(1000.0 * s["latency"].value("p99", 0.0), 2) << " ms\n";
  if (s.contains("confidence")) out << "  confidence: " << fixed(s.value("confidence", 0.0), 3) << " (mean)\n";
  if (s.contains("drift"))
    out << "  drift:      PSI " << fixed(s["drift"].value("psi", 0.0), 3) << " (" << s["drift"].value("level", "")
        << ") of the answers' classes against the training set's\n";
  if (!s.contains("classes") || s["classes"].empty()) return;
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : s["classes"]) {
    if (rows.size() == 10) break;
    rows.push_back({"  " + c.value("class", ""), fixed(100.0 * c.value("served", 0.0), 1) + "%",
                    c.contains("training") ? fixed(100.0 * c.value("training", 0.0), 1) + "%" : ""});
  }
  print_table({"  CLASS", "SERVED", "TRAINING"}, rows, out);
  if (s["classes"].size() > 10) out << "  (" << s["classes"].size() - 10 << " more classes: -o json lists them)\n";
}

} // namespace

void print_run_detail(const Json& r, bool color, std::ostream& out) {
  detail_header(r, color, out);
  detail_children(r, color, out);
  detail_states(r, out);
  detail_serving(r, out);
  detail_records(r, out);
}

// As argo get draws them: a symbol for the phase, indented by depth.
void print_workflow_nodes(const Json& nodes, bool color, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : nodes) {
    const std::string phase = n.value("phase", "");
    const char* symbol = phase == "Succeeded" ? "✔" : phase == "Failed" ? "✖" : phase == "Error" ? "⚠" :
                         phase == "Skipped" || phase == "Omitted" ? "○" : phase == "Running" ? "●" : "◷";
    const int depth = n.value("depth", 0);
    std::string step = "  " + std::string(static_cast<std::size_t>(2 * depth), ' ') + paint(color, state_color(phase), symbol) + " " + n.value("name", "");
    std::string duration = n.contains("duration") && n.value("type", "") != "StepGroup" ? duration_text(n.value("duration", 0.0)) : "";
    std::string message = n.value("message", "");
    if (n.value("cached", false)) duration = "cached";
    rows.push_back({step, n.value("template", ""), duration, message});
  }
  print_table({"  STEP", "TEMPLATE", "DURATION", "MESSAGE"}, rows, out);
}

} // namespace kf::cli
