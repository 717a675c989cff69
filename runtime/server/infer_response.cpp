// Encoding responses by hand: the outputs are flat arrays of numbers.
#include "runtime/server/infer_response.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

namespace kf::server {

namespace {

void append_float(std::string& out, float v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

template <typename T, typename Write>
void append_array(std::string& out, const std::vector<T>& values, Write write) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    write(out, values[i]);
  }
  out += ']';
}

void append_labels(std::string& out, const std::vector<std::int64_t>& labels) {
  append_array(out, labels, [](std::string& o, std::int64_t v) { o += std::to_string(v); });
}

void append_names(std::string& out, const std::vector<std::int64_t>& labels, const std::vector<std::string>& names) {
  append_array(out, labels, [&](std::string& o, std::int64_t v) {
    const auto i = static_cast<std::size_t>(v);
    o += i < names.size() ? json_string(names[i]) : std::string("null");
  });
}

} // namespace

std::string json_string(std::string_view text) {
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string encode_error(std::string_view message) { return "{\"error\":" + json_string(message) + "}"; }

std::string encode_infer_response(std::string_view model_name, const InferRequest& request,
                                  const Prediction& prediction, const std::vector<std::string>& labels) {
  const std::size_t n = prediction.n;
  const std::size_t classes = n == 0 ? 0 : prediction.probabilities.size() / n;
  std::string out;
  out.reserve(128 + prediction.probabilities.size() * 12 + n * 4);
  out += "{\"model_name\":" + json_string(model_name) + ",\"model_version\":\"1\"";
  if (request.id) out += ",\"id\":" + json_string(*request.id);
  out += ",\"outputs\":[";
  for (std::size_t i = 0; i < request.outputs.size(); ++i) {
    if (i) out += ',';
    if (request.outputs[i] == Output::probabilities) {
      out += "{\"name\":\"probabilities\",\"datatype\":\"FP32\",\"shape\":[" + std::to_string(n) + "," +
             std::to_string(classes) + "],\"data\":";
      append_array(out, prediction.probabilities, [](std::string& o, float v) { append_float(o, v); });
    } else if (request.outputs[i] == Output::label) {
      out += "{\"name\":\"label\",\"datatype\":\"INT64\",\"shape\":[" + std::to_string(n) + "],\"data\":";
      append_labels(out, prediction.labels);
    } else {
      out += "{\"name\":\"class_name\",\"datatype\":\"BYTES\",\"shape\":[" + std::to_string(n) + "],\"data\":";
      append_names(out, prediction.labels, labels);
    }
    out += '}';
  }
  out += "]}";
  return out;
}

std::string encode_predict_response(const Prediction& prediction, const std::vector<std::string>& labels) {
  std::string out = "{\"predictions\":";
  if (labels.empty()) append_labels(out, prediction.labels);
  else append_names(out, prediction.labels, labels);
  out += '}';
  return out;
}

} // namespace kf::server
