#pragma once
// A pipeline step that runs a notebook (kf.yaml `notebook:`), as an Argo
// container step any image with Jupyter runs: the notebook travels in the
// Workflow as a raw input artifact; nbconvert's ExecutePreprocessor (what
// `jupyter nbconvert --execute` runs) executes it with the step's
// parameters injected after the cell tagged "parameters", as papermill
// does; the executed notebook is the step's output artifact "notebook".

#include "libkf/spec/project.h"
#include "libkf/util/json.h"

namespace kf::render {

// Fills the step's values (image, command, args, artifacts) for `s`, a step
// with a notebook; `in` and `out` are its input and output artifacts so far.
void notebook_step(const spec::StepSpec& s, Json& step, Json& in, Json& out);

} // namespace kf::render
