// libFuzzer target: any bytes as a model server's /metrics text, read by
// `kf status` (libkf/util/prometheus.cpp, libkf/action/serving_stats.cpp).
// Nothing may crash, hang or leak; the serving view's numbers stay sane
// (counts non-negative, shares in [0, 1], a finite, non-negative PSI, an
// idle interval in `kf status -w`'s trend).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libkf/action/serving_stats.h"
#include "libkf/util/prometheus.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& s : kf::prometheus::samples_of(text, "kf_server_predictions_total"))
    if (s.labels.size() > size) std::abort();
  const kf::Json model = {{"labels", {"a", "b", "c"}}, {"class_counts", {5, 3, 2}}};
  const kf::Json v = kf::action::serving_stats(text, model);
  if (v.contains("classes"))
    for (const auto& c : v["classes"]) {
      const double served = c["served"].get<double>();
      if (!(served >= 0.0 && served <= 1.0 + 1e-9) && std::isfinite(served)) std::abort();
    }
  // The live view of `kf status -w`: the same text twice, a second apart, is an idle interval.
  kf::action::ServingTrend trend;
  trend.add(0.0, v);
  if (trend.add(1.0, v)) {
    const auto& p = trend.points().back();
    if (p.rate != 0.0 || p.p50 != -1.0) std::abort();
  }
  if (v.contains("drift")) {
    const double psi = v["drift"]["psi"].get<double>();
    if (std::isfinite(psi) && psi < -1e-9) std::abort();
  }
  return 0;
}
