// kf-server-testdata MODEL_DIR OUT_DIR DATA [SYNTHETIC_SAMPLES SYNTHETIC_SIZE]
// Writes the test split of DATA (as kf-trainer loads it) for the server
// tests: OUT_DIR/infer.json (one v2 request, FP32 [N, C*H*W], floats in
// shortest round-trip form so the server sees the trainer's exact values),
// OUT_DIR/predict.json (the same as v1 instances), OUT_DIR/labels.txt (the
// true classes) and OUT_DIR/expected.txt (the class the trainer's own
// Model::forward picks for each sample, in batches of 500 as --evaluate runs).
#include "runtime/data.h"
#include "runtime/export.h"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <string>

using namespace kf::trainer;

namespace {

void append_float(std::string& out, float v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 6) {
    std::fprintf(stderr, "usage: kf-server-testdata MODEL_DIR OUT_DIR DATA [SYNTHETIC_SAMPLES SYNTHETIC_SIZE]\n");
    return 2;
  }
  try {
    const std::string model_dir = argv[1], out = argv[2];
    DataOptions d;
    d.source = argv[3];
    if (argc == 6) {
      d.synthetic_samples = std::stoul(argv[4]);
      d.synthetic_size = std::stoul(argv[5]);
    }
    const Dataset test = load_data(d, 0, 1).test;
    const std::size_t n = test.size(), f = test.sample_size();

    std::string instances = "[";
    for (std::size_t i = 0; i < n; ++i) {
      instances += i ? ",[" : "[";
      for (std::size_t j = 0; j < f; ++j) {
        if (j) instances += ',';
        append_float(instances, test.images[i * f + j]);
      }
      instances += ']';
    }
    instances += ']';
    std::ofstream(out + "/infer.json") << R"({"id":"all","inputs":[{"name":"input","datatype":"FP32","shape":[)" << n
                                       << "," << f << R"(],"data":)" << instances << "}]}\n";
    std::ofstream(out + "/predict.json") << R"({"instances":)" << instances << "}\n";

    std::ofstream labels(out + "/labels.txt");
    for (std::uint8_t l : test.labels) labels << static_cast<int>(l) << "\n";

    LoadedModel loaded = load_exported_model(model_dir);
    const std::size_t k = loaded.model->config().classes;
    std::ofstream expected(out + "/expected.txt");
    for (std::size_t from = 0; from < n; from += 500) {
      const std::size_t m = std::min<std::size_t>(500, n - from);
      Shape shape = {m};
      shape.insert(shape.end(), test.sample_shape.begin(), test.sample_shape.end());
      Tensor x(shape);
      std::copy_n(test.images.begin() + static_cast<std::ptrdiff_t>(from * f), m * f, x.data.begin());
      const Tensor& logits = loaded.model->forward(x);
      for (std::size_t i = 0; i < m; ++i) {
        const float* z = logits.ptr() + i * k;
        std::size_t argmax = 0;
        for (std::size_t j = 0; j < k; ++j)
          if (z[j] > z[argmax]) argmax = j;
        expected << argmax << "\n";
      }
    }
    std::printf("%zu samples of %zu values\n", n, f);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kf-server-testdata: %s\n", e.what());
    return 1;
  }
}
