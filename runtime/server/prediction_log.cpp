// The answer log (runtime/server/prediction_log.h).
#include "runtime/server/prediction_log.h"

#include "runtime/error.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace kf::server {
namespace {

// UTC with milliseconds, as RFC 3339.
std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

} // namespace

PredictionLog::Mode PredictionLog::parse_mode(const std::string& mode) {
  if (mode == "all") return Mode::all;
  if (mode == "request") return Mode::request;
  if (mode == "response") return Mode::response;
  throw trainer::UsageError("unknown --log-mode '" + mode + "' (expected all, request or response)");
}

PredictionLog::PredictionLog(const std::string& path, Mode mode) : m_mode(mode) {
  m_file = std::fopen(path.c_str(), "a");
  if (m_file == nullptr) throw trainer::Error("cannot open --log-file " + path + ": " + std::strerror(errno));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
  m_prefix = "kf-" + std::to_string(ms) + "-";
}

PredictionLog::~PredictionLog() {
  if (m_file != nullptr) std::fclose(m_file);
}

std::string PredictionLog::next_id() {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_prefix + std::to_string(m_next++);
}

void PredictionLog::write(std::string_view model, const InferRequest& request, const Prediction& prediction,
                          const std::vector<std::string>& labels) {
  const std::string time = utc_now();
  const std::size_t n = prediction.n;
  const std::size_t classes = n == 0 ? 0 : prediction.probabilities.size() / n;
  const std::size_t features = n == 0 ? 0 : request.data.size() / n;
  std::string lines;
  for (std::size_t i = 0; i < n; ++i) {
    nlohmann::json j = {{"time", time}, {"id", request.id.value_or("")}, {"index", i}, {"model", model}};
    if (m_mode != Mode::response) {
      if (i < request.texts.size()) j["input"] = request.texts[i];
      else j["input"] = std::vector<float>(request.data.begin() + static_cast<std::ptrdiff_t>(i * features),
                                           request.data.begin() + static_cast<std::ptrdiff_t>((i + 1) * features));
    }
    if (m_mode != Mode::request) {
      const auto label = static_cast<std::size_t>(prediction.labels[i]);
      j["label"] = label;
      if (label < labels.size()) j["class"] = labels[label];
      j["confidence"] = prediction.probabilities[i * classes + label];
    }
    lines += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    lines += '\n';
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  std::fwrite(lines.data(), 1, lines.size(), m_file);
  std::fflush(m_file);
}

} // namespace kf::server
