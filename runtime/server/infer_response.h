#pragma once
// Response bodies: the v2 infer response, the v1 predict response and the
// {"error": "..."} body of every 4xx/5xx. Floats are written in their
// shortest round-trip form (std::to_chars), so a client reading them back
// as float32 gets the server's values exactly.

#include "runtime/server/infer_request.h"
#include "runtime/server/served_model.h"

#include <string>
#include <string_view>
#include <vector>

namespace kf::server {

// {"model_name": NAME, "model_version": "1", ["id": ID,] "outputs": [
//   {"name": "probabilities", "datatype": "FP32", "shape": [N, K], "data": [...]},
//   {"name": "label", "datatype": "INT64", "shape": [N], "data": [...]}]}
// with the outputs the request asked for, in its order.
// A model with class names adds {"name": "class_name", "datatype": "BYTES", "shape": [N], "data": [...]}.
std::string encode_infer_response(std::string_view model_name, const InferRequest& request,
                                  const Prediction& prediction, const std::vector<std::string>& labels = {});
// {"predictions": [label, ...]}: the class index of each instance, or its
// name when the model has class names.
std::string encode_predict_response(const Prediction& prediction, const std::vector<std::string>& labels = {});
// {"error": MESSAGE}
std::string encode_error(std::string_view message);
// A JSON string literal (invalid UTF-8 replaced by U+FFFD).
std::string json_string(std::string_view text);

} // namespace kf::server
