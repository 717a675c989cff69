// Notebook steps (notebook_step.h).
#include "libkf/render/notebook_step.h"

#include <filesystem>

#include "libkf/spec/defaults.h"

namespace kf::render {

namespace {

// Runs in the step: argv = source notebook, executed notebook, parameters
// (a JSON object of strings; each value is read as JSON when it parses, so
// "3" is 3 and "true" is True, as papermill's typed parameters). No "{{"
// in it: Argo would read that as a tag.
constexpr const char* k_runner = R"(import json, os, sys
import nbformat
from nbconvert.preprocessors import ExecutePreprocessor
source, executed, given = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
def value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text
nb = nbformat.read(source, as_version=4)
cell = nbformat.v4.new_code_cell("# Parameters\n" + "".join("%s = %r\n" % (k, value(v)) for k, v in given.items()))
cell.metadata["tags"] = ["injected-parameters"]
tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
nb.cells.insert(tagged[0] + 1 if tagged else 0, cell)
os.makedirs(os.path.dirname(executed), exist_ok=True)
kernel = nb.metadata.get("kernelspec", dict()).get("name", "python3")
try:
    ExecutePreprocessor(timeout=None, kernel_name=kernel).preprocess(nb, dict(metadata=dict(path=os.path.dirname(executed))))
finally:
    nbformat.write(nb, executed)
)";

} // namespace

void notebook_step(const spec::StepSpec& s, Json& step, Json& in, Json& out) {
  const std::string source = "/kf/notebook/" + std::filesystem::path(s.notebook).filename().string();
  const std::string executed = "/kf/outputs/notebook.ipynb";
  Json given = Json::object();
  for (const auto& [k, v] : s.parameters) given[k] = v;
  if (s.image.empty()) step["image"] = spec::defaults::k_notebook_image;
  step["command"] = Json::array({"python3", "-c", k_runner});
  step["args"] = Json::array({source, executed, given.dump()});
  in.push_back({{"name", "source-notebook"}, {"path", source}, {"raw", {{"data", s.notebook_source}}}});
  out.push_back({{"name", "notebook"}, {"path", executed}});
}

} // namespace kf::render
