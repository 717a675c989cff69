// Request parsing and validation for v2 "infer" and v1 "predict" bodies.
#include "runtime/server/infer_request.h"

#include "runtime/server/json_reader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace kf::server {

using nlohmann::json;

std::size_t ModelSignature::features() const {
  std::size_t n = 1;
  for (std::size_t d : sample_shape) n *= d;
  return n;
}

std::string_view output_name(Output o) {
  switch (o) {
  case Output::probabilities: return k_probabilities;
  case Output::label: return k_label;
  case Output::class_name: return k_class_name;
  }
  return k_label;
}

namespace {

RequestError bad(std::string message) { return RequestError{400, std::move(message)}; }

std::string shape_text(const std::vector<std::string>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + dims[i];
  return s + "]";
}

// "[-1,64]" and the alternative "[-1,1,8,8]" the model accepts.
std::string model_shapes(const ModelSignature& sig) {
  std::vector<std::string> full = {"-1"};
  for (std::size_t d : sig.sample_shape) full.push_back(std::to_string(d));
  return shape_text({"-1", std::to_string(sig.features())}) + " (or " + shape_text(full) + ")";
}

std::variant<json, RequestError> parse_json(std::string_view body) {
  auto parsed = read_json(body);
  if (auto* error = std::get_if<std::string>(&parsed)) return bad("malformed JSON " + *error);
  return std::move(std::get<json>(parsed));
}

// Walks a flat or nested array in row-major order, converting each number.
class Flattener {
public:
  // `prefix` starts every message ("input 'input': "); `label` names the
  // array in element errors ("data" -> data[5]).
  Flattener(std::string prefix, std::string label, bool uint8, float divisor, std::vector<float>& out)
      : m_prefix(std::move(prefix)), m_label(std::move(label)), m_uint8(uint8), m_divisor(divisor), m_out(out) {}

  std::optional<RequestError> run(const json& array) {
    walk(array, 1);
    return m_error;
  }

private:
  bool walk(const json& array, int depth) {
    if (depth > k_max_data_depth) {
      m_error = bad(m_prefix + m_label + " is nested more than " + std::to_string(k_max_data_depth) + " deep");
      return false;
    }
    for (const json& e : array) {
      if (e.is_array()) {
        if (!walk(e, depth + 1)) return false;
      } else if (!convert(e)) {
        return false;
      }
    }
    return true;
  }

  bool convert(const json& e) {
    if (!e.is_number()) return fail(" is not a number (got " + std::string(e.type_name()) + ")");
    if (m_uint8) {
      if (!e.is_number_unsigned() || e.get<std::uint64_t>() > 255)
        return fail(" = " + e.dump() + " is not a UINT8 (an integer 0..255)");
      m_out.push_back(static_cast<float>(e.get<std::uint64_t>()) / m_divisor);
      return true;
    }
    const double d = e.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > static_cast<double>(FLT_MAX))
      return fail(" = " + e.dump() + " is out of range for FP32");
    m_out.push_back(static_cast<float>(d));
    return true;
  }

  // The element being converted is the next one out.
  bool fail(const std::string& what) {
    m_error = bad(m_prefix + m_label + "[" + std::to_string(m_out.size()) + "]" + what);
    return false;
  }

  std::string m_prefix;
  std::string m_label;
  bool m_uint8;
  float m_divisor;
  std::vector<float>& m_out;
  std::optional<RequestError> m_error;
};

// Checks "shape" against the model: [N, F], [N, C, H, W] or [N, H, W] (C = 1).
std::optional<RequestError> check_shape(const json& shape, const ModelSignature& sig, const std::string& prefix,
                                        std::size_t& batch) {
  auto not_ints = [&] { return bad(prefix + "\"shape\" must be an array of non-negative integers"); };
  if (!shape.is_array()) return not_ints();
  std::vector<std::size_t> dims;
  std::vector<std::string> text;
  for (const json& d : shape) {
    if (!d.is_number_unsigned()) return not_ints();
    dims.push_back(static_cast<std::size_t>(d.get<std::uint64_t>()));
    text.push_back(std::to_string(d.get<std::uint64_t>()));
  }
  const std::vector<std::size_t> rest(dims.begin() + (dims.empty() ? 0 : 1), dims.end());
  const auto& s = sig.sample_shape;
  const bool fits = !dims.empty() && (rest == std::vector<std::size_t>{sig.features()} || rest == s ||
                                      (s.size() == 3 && s[0] == 1 && rest == std::vector<std::size_t>{s[1], s[2]}));
  if (!fits) return bad(prefix + "shape " + shape_text(text) + " does not fit the model's input " + model_shapes(sig));
  if (dims[0] == 0) return bad(prefix + "the batch dimension must be at least 1");
  batch = dims[0];
  return std::nullopt;
}

std::optional<RequestError> parse_outputs(const json& body, const ModelSignature& sig, InferRequest& r) {
  if (!sig.labels.empty()) r.outputs.push_back(Output::class_name);
  if (!body.contains("outputs")) return std::nullopt;
  const json& outputs = body["outputs"];
  if (!outputs.is_array()) return bad("\"outputs\" must be an array");
  if (outputs.empty()) return std::nullopt; // all outputs
  r.outputs.clear();
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const json& o = outputs[i];
    if (!o.is_object() || !o.contains("name") || !o["name"].is_string())
      return bad("outputs[" + std::to_string(i) + "] must be an object with a \"name\" string");
    const std::string& name = o["name"].get_ref<const std::string&>();
    Output which = Output::probabilities;
    if (name == k_probabilities) which = Output::probabilities;
    else if (name == k_label) which = Output::label;
    else if (name == k_class_name && !sig.labels.empty()) which = Output::class_name;
    else if (sig.labels.empty()) return bad("unknown output '" + name + "' (the outputs are probabilities and label)");
    else return bad("unknown output '" + name + "' (the outputs are probabilities, label and class_name)");
    if (std::find(r.outputs.begin(), r.outputs.end(), which) == r.outputs.end()) r.outputs.push_back(which);
  }
  return std::nullopt;
}

// A text model's BYTES input: shape [N] or [N, 1], N strings (flat or one per row).
std::optional<RequestError> parse_texts(const json& in, const std::string& prefix, InferRequest& r) {
  const json* shape = in.contains("shape") ? &in["shape"] : nullptr;
  const bool ints = shape != nullptr && shape->is_array() &&
                    std::all_of(shape->begin(), shape->end(), [](const json& d) { return d.is_number_unsigned(); });
  if (!ints) return bad(prefix + "\"shape\" must be an array of non-negative integers");
  if (!(shape->size() == 1 || (shape->size() == 2 && (*shape)[1].get<std::uint64_t>() == 1)))
    return bad(prefix + "shape " + shape->dump() + " does not fit the model's input [-1] (or [-1,1]): one string per text");
  r.batch = static_cast<std::size_t>((*shape)[0].get<std::uint64_t>());
  if (r.batch == 0) return bad(prefix + "the batch dimension must be at least 1");
  if (!in.contains("data") || !in["data"].is_array()) return bad(prefix + "\"data\" must be an array");
  for (const json& e : in["data"]) {
    const json* item = &e;
    if (e.is_array() && e.size() == 1) item = &e[0];
    if (!item->is_string())
      return bad(prefix + "data[" + std::to_string(r.texts.size()) + "] is not a string (got " + item->type_name() + ")");
    r.texts.push_back(item->get<std::string>());
  }
  if (r.texts.size() != r.batch)
    return bad(prefix + "shape " + shape->dump() + " needs " + std::to_string(r.batch) + " strings, \"data\" has " +
               std::to_string(r.texts.size()));
  return std::nullopt;
}

ParsedRequest parse_infer_json(const json& body, const ModelSignature& sig) {
  if (!body.is_object()) return bad("the request body must be a JSON object");
  InferRequest r;
  if (body.contains("id")) {
    if (!body["id"].is_string()) return bad("\"id\" must be a string");
    r.id = body["id"].get<std::string>();
  }
  if (body.contains("parameters") && !body["parameters"].is_object()) return bad("\"parameters\" must be an object");
  if (!body.contains("inputs") || !body["inputs"].is_array() || body["inputs"].empty())
    return bad("\"inputs\" must be a non-empty array");
  const json& inputs = body["inputs"];
  if (inputs.size() != 1)
    return bad("the model takes 1 input, the request has " + std::to_string(inputs.size()));
  const json& in = inputs[0];
  if (!in.is_object()) return bad("inputs[0] must be an object");
  if (!in.contains("name") || !in["name"].is_string()) return bad("inputs[0]: \"name\" must be a string");
  const std::string& name = in["name"].get_ref<const std::string&>();
  if (name != sig.input_name) return bad("unknown input '" + name + "' (the model's input is '" + sig.input_name + "')");
  const std::string prefix = "input '" + name + "': ";
  if (!in.contains("datatype") || !in["datatype"].is_string()) return bad(prefix + "\"datatype\" must be a string");
  const std::string& datatype = in["datatype"].get_ref<const std::string&>();
  if (sig.text) {
    if (datatype != "BYTES")
      return bad(prefix + "datatype '" + datatype + "' is not supported (the model takes text: use BYTES)");
    if (auto e = parse_texts(in, prefix, r)) return *e;
    if (auto e = parse_outputs(body, sig, r)) return *e;
    return r;
  }
  if (datatype != "FP32" && datatype != "UINT8")
    return bad(prefix + "datatype '" + datatype + "' is not supported (use FP32 or UINT8)");
  if (!in.contains("shape")) return bad(prefix + "\"shape\" must be an array of non-negative integers");
  if (auto e = check_shape(in["shape"], sig, prefix, r.batch)) return *e;
  if (!in.contains("data") || !in["data"].is_array()) return bad(prefix + "\"data\" must be an array");
  const json& data = in["data"];
  r.data.reserve(std::min<std::size_t>(data.size(), 1u << 20));
  Flattener flat(prefix, "data", datatype == "UINT8", sig.uint8_divisor, r.data);
  if (auto e = flat.run(data)) return *e;
  const std::size_t f = sig.features();
  std::size_t want = 0;
  const bool overflow = __builtin_mul_overflow(r.batch, f, &want);
  if (overflow || want != r.data.size())
    return bad(prefix + "shape " + in["shape"].dump() + " needs " + (overflow ? "over 2^64" : std::to_string(want)) +
               " values, \"data\" has " + std::to_string(r.data.size()));
  if (auto e = parse_outputs(body, sig, r)) return *e;
  return r;
}

ParsedRequest parse_predict_json(const json& body, const ModelSignature& sig) {
  if (!body.is_object()) return bad("the request body must be a JSON object");
  if (!body.contains("instances") || !body["instances"].is_array() || body["instances"].empty())
    return bad("\"instances\" must be a non-empty array");
  const json& instances = body["instances"];
  const std::size_t f = sig.features();
  InferRequest r;
  r.batch = instances.size();
  r.data.reserve(std::min<std::size_t>(instances.size() * f, 1u << 20));
  std::vector<float> one;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const std::string label = "instances[" + std::to_string(i) + "]";
    if (sig.text) {
      if (!instances[i].is_string()) return bad(label + " must be a string (the model takes text)");
      r.texts.push_back(instances[i].get<std::string>());
      continue;
    }
    if (!instances[i].is_array()) return bad(label + " must be an array of " + std::to_string(f) + " numbers");
    one.clear();
    Flattener flat("", label, false, 1.0f, one);
    if (auto e = flat.run(instances[i])) return *e;
    if (one.size() != f)
      return bad(label + " has " + std::to_string(one.size()) + " values, the model takes " + std::to_string(f));
    r.data.insert(r.data.end(), one.begin(), one.end());
  }
  r.outputs = {Output::label};
  return r;
}

} // namespace

ParsedRequest parse_infer_request(std::string_view body, const ModelSignature& sig) {
  auto parsed = parse_json(body);
  if (auto* e = std::get_if<RequestError>(&parsed)) return *e;
  return parse_infer_json(std::get<json>(parsed), sig);
}

ParsedRequest parse_predict_request(std::string_view body, const ModelSignature& sig) {
  auto parsed = parse_json(body);
  if (auto* e = std::get_if<RequestError>(&parsed)) return *e;
  return parse_predict_json(std::get<json>(parsed), sig);
}

} // namespace kf::server
