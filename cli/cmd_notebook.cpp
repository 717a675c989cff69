// kf notebook — libkf/action/notebook.cpp.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/app.h"
#include "cli/follow_view.h"
#include "cli/output.h"
#include "cli/session.h"
#include "libkf/action/runs.h"
#include "libkf/util/error.h"
#include "libkf/util/subprocess.h"

namespace kf::cli {

namespace {

// --open: the URL in a browser ($BROWSER, else xdg-open), when this machine has one.
void open_in_browser(const std::string& url) {
  const char* browser = std::getenv("BROWSER");
  const std::string command = browser && *browser ? browser : "xdg-open";
  proc::Command c;
  c.argv = {command, url};
  c.out = proc::Stream::null;
  c.err = proc::Stream::null;
  try {
    if (proc::run(c).exit_code == 0) return;
  } catch (const Error&) {
  }
  std::cerr << "no browser here (" << command << "): open " << url << '\n';
}

// Attached: until Ctrl-C, which stops the notebook (or until it ends by itself).
int hold(action::ProjectTarget& pt, const std::string& run, const std::function<bool()>& interrupted) {
  std::cerr << "Ctrl-C stops it (kf notebook --detach leaves it running)\n";
  while (!interrupted()) {
    const auto o = pt.target->get(run);
    if (!o || target::is_finished(*o)) throw Error("the notebook " + run + " stopped (kf status " + run + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  pt.target->stop(run);
  std::cerr << "stopped " << run << '\n';
  return 0;
}

} // namespace

void add_notebook(CLI::App& app, Globals& g) {
  struct Flags : SubmitFlags {
    std::string notebook;
    bool open = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("notebook", "Start one of the project's notebooks (a Kubeflow Notebook: Jupyter), "
                                             "or reconnect to it; print its URL");
  add_submit_flags(*cmd, *flags, "notebook");
  cmd->add_option("name", flags->notebook, "A notebook of spec.notebooks in kf.yaml (default: the only one)");
  cmd->add_flag("-d,--detach", flags->detach, "Return once it is ready; stop it with kf delete");
  cmd->add_flag("--open", flags->open, "Also open the URL in a browser ($BROWSER, else xdg-open)");
  cmd->footer("On the local target the Notebook runs this machine's Jupyter (jupyter lab, else jupyter notebook, else "
              "jupyter server) in place of the image's: base URL /notebook/<namespace>/<name>/ (Kubeflow's NB_PREFIX), "
              "a random token (unless the container's env sets JUPYTER_TOKEN), port 8888 and up (or the container's "
              "port), the notebook directory the workspace volume: each PersistentVolumeClaim it mounts is a "
              "directory .kf/volumes/<claim>/ of the project that outlives the notebook and is used again next time. "
              "It is Ready when /api/status answers; the URL, with its token, goes to stdout. A notebook that runs "
              "already is reconnected to, not started again. Attached, Ctrl-C stops it; kf stop and kf delete end it "
              "too. Idle culling as Kubeflow's notebook controller: with ENABLE_CULLING=true in kf's environment, a "
              "notebook without activity (/api/status's last_activity) for CULL_IDLE_TIME minutes (default 1440, "
              "looked at every IDLENESS_CHECK_PERIOD minutes, default 1) is stopped (reason Culled) and kept. "
              "On a cluster target kf "
              "applies the PVC and the Notebook and returns (--wait: until it is Ready).\n\n"
              "Examples:\n"
              "  kf notebook\n"
              "  kf notebook lab --detach\n"
              "  kf notebook lab --target prod --wait");
  on_run(*cmd, g, [flags](Session& s) {
    auto pt = s.open(flags->values.load_options());
    const auto r = action::notebook(s.ctx, action::NotebookOptions{flags->notebook, flags->name}, pt);
    if (!pt.target->traits().attached && !r.reconnected) return after_submit(s.g, pt, r.run, *flags);
    const auto interrupted = catch_interrupts();
    std::string url = r.url;
    if (r.reconnected) std::cerr << "notebook " << r.run.run << " is running already\n";
    else std::cerr << "run " << r.run.run << " started (Notebook, " << r.run.target << ") in " << r.run.where << '\n';
    if (url.empty()) url = wait_until_ready(pt, r.run.run, "the notebook", interrupted);
    std::cout << url << std::endl;
    if (flags->open) open_in_browser(url);
    if (flags->detach || r.reconnected) {
      if (!r.reconnected) std::cerr << "stop it: kf delete " << r.run.run << '\n';
      return 0;
    }
    return hold(pt, r.run.run, interrupted);
  });
}

} // namespace kf::cli
