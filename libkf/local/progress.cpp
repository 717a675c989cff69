#include "libkf/local/progress.h"

#include "contract/progress.h"

namespace kf::local {

std::optional<EpochLine> parse_epoch_line(const std::string& line) {
  const auto m = contract::parse_metrics_line(line);
  if (!m) return std::nullopt;
  EpochLine e;
  e.epoch = static_cast<int>(m->epoch);
  for (const auto& [name, value] : m->values) e.values[name] = value;
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
  if (const auto p = contract::parse_progress_line(line)) {
    m_any = true;
    m_epoch = static_cast<int>(p->epoch);
    m_epochs = static_cast<int>(p->epochs);
    m_step = static_cast<int>(p->step);
    m_steps = static_cast<int>(p->steps);
    m_loss = p->loss;
    m_rate = p->samples_per_second;
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
