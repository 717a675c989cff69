#include "libkf/local/progress.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace kf::local {

namespace {
bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}
} // namespace

std::optional<EpochLine> parse_epoch_line(const std::string& line) {
  if (line.rfind("epoch=", 0) != 0) return std::nullopt;
  std::istringstream words(line);
  std::string word;
  EpochLine e;
  bool have_epoch = false;
  while (words >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0) return std::nullopt;
    double v = 0;
    if (!parse_number(word.substr(eq + 1), v)) return std::nullopt;
    const std::string name = word.substr(0, eq);
    if (name == "epoch") {
      e.epoch = static_cast<int>(v);
      have_epoch = true;
    } else {
      e.values[name] = v;
    }
  }
  if (!have_epoch) return std::nullopt;
  return e;
}

std::optional<EpochLine> Progress::feed(const std::string& line) {
  if (auto e = parse_epoch_line(line)) {
    m_any = true;
    m_last = *e;
    m_epoch = e->epoch;
    if (m_steps > 0) m_step = m_steps;
    return e;
  }
  const auto at = line.find(": epoch ");
  if (line.rfind("kf-trainer[", 0) != 0 || at == std::string::npos) return std::nullopt;
  int epoch = 0, epochs = 0, step = 0, steps = 0;
  double loss = 0, lr = 0, rate = 0;
  if (std::sscanf(line.c_str() + at + 2, "epoch %d/%d step %d/%d loss %lf lr %lf %lf samples/s", &epoch, &epochs, &step,
                  &steps, &loss, &lr, &rate) == 7) {
    m_any = true;
    m_epoch = epoch;
    m_epochs = epochs;
    m_step = step;
    m_steps = steps;
    m_loss = loss;
    m_rate = rate;
  }
  return std::nullopt;
}

Json Progress::to_json() const {
  if (!m_any) return Json::object();
  Json j = {{"epoch", m_epoch}, {"epochs", m_epochs}, {"step", m_step}, {"steps", m_steps}, {"loss", m_loss},
            {"samplesPerSecond", m_rate}};
  if (m_last.epoch > 0) j["metrics"] = m_last.values, j["metricsEpoch"] = m_last.epoch;
  return j;
}

} // namespace kf::local
