// The request parser (runtime/server/infer_request.cpp): accepted forms,
// scaling, and every error message, pinned.
#include "runtime/server/infer_request.h"

#include <doctest/doctest.h>

#include <string>

using namespace kf::server;

namespace {

// A 1x2x2 input, 3 classes: features = 4.
ModelSignature sig() {
  ModelSignature s;
  s.sample_shape = {1, 2, 2};
  s.classes = 3;
  return s;
}

std::string error_of(const ParsedRequest& p) {
  const auto* e = std::get_if<RequestError>(&p);
  return e == nullptr ? "" : std::to_string(e->status) + " " + e->message;
}

std::string v2(const std::string& body) { return error_of(parse_infer_request(body, sig())); }
std::string v1(const std::string& body) { return error_of(parse_predict_request(body, sig())); }

// One input named "input" with these fields spliced in.
std::string input(const std::string& fields) { return R"({"inputs":[{"name":"input",)" + fields + "}]}"; }

InferRequest ok(const std::string& body) {
  ParsedRequest p = parse_infer_request(body, sig());
  REQUIRE_MESSAGE(std::holds_alternative<InferRequest>(p), error_of(p));
  return std::get<InferRequest>(p);
}

} // namespace

TEST_CASE("v2: flat FP32 data with shape [N, C*H*W]") {
  const InferRequest r = ok(input(R"("datatype":"FP32","shape":[2,4],"data":[0,0.5,1,2,3,4,5,6.25])"));
  CHECK(r.batch == 2);
  CHECK(r.data == std::vector<float>{0.0f, 0.5f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.25f});
  CHECK(!r.id);
  CHECK(r.outputs == std::vector<Output>{Output::probabilities, Output::label});
}

TEST_CASE("v2: nested data and [N, C, H, W] / [N, H, W] shapes") {
  CHECK(ok(input(R"("datatype":"FP32","shape":[1,1,2,2],"data":[[[[1,2],[3,4]]]])")).data ==
        std::vector<float>{1, 2, 3, 4});
  CHECK(ok(input(R"("datatype":"FP32","shape":[1,2,2],"data":[[1,2],[3,4]])")).batch == 1);
  CHECK(ok(input(R"("datatype":"FP32","shape":[2,4],"data":[[1,2,3,4],[5,6,7,8]])")).data.size() == 8);
}

TEST_CASE("v2: UINT8 is scaled as the trainer scales pixels (v / 255, in float)") {
  const InferRequest r = ok(input(R"("datatype":"UINT8","shape":[1,4],"data":[0,1,128,255])"));
  CHECK(r.data == std::vector<float>{0.0f, 1.0f / 255.0f, 128.0f / 255.0f, 1.0f});
  ModelSignature s = sig();
  s.uint8_divisor = 2.0f;
  const auto p = parse_infer_request(input(R"("datatype":"UINT8","shape":[1,4],"data":[0,1,2,3])"), s);
  CHECK(std::get<InferRequest>(p).data == std::vector<float>{0.0f, 0.5f, 1.0f, 1.5f});
}

TEST_CASE("v2: id is echoed, outputs are selected in the requested order") {
  const std::string data = R"("datatype":"FP32","shape":[1,4],"data":[1,2,3,4]})";
  const InferRequest r =
      ok(R"({"id":"req-7","parameters":{},"outputs":[{"name":"label"},{"name":"probabilities"},{"name":"label"}],)"
         R"("inputs":[{"name":"input",)" + data + "]}");
  CHECK(r.id == "req-7");
  CHECK(r.outputs == std::vector<Output>{Output::label, Output::probabilities});
  CHECK(ok(R"({"outputs":[],"inputs":[{"name":"input",)" + data + "]}").outputs.size() == 2);
}

TEST_CASE("v2: every error message") {
  CHECK(v2("{x") == "400 malformed JSON at line 1, column 2: expected a string (an object key)");
  CHECK(v2("") == "400 malformed JSON at line 1, column 1: unexpected end of input");
  CHECK(v2("[1]") == "400 the request body must be a JSON object");
  CHECK(v2("{}") == "400 \"inputs\" must be a non-empty array");
  CHECK(v2(R"({"inputs":[]})") == "400 \"inputs\" must be a non-empty array");
  CHECK(v2(R"({"inputs":{}})") == "400 \"inputs\" must be a non-empty array");
  CHECK(v2(R"({"inputs":[1,2]})") == "400 the model takes 1 input, the request has 2");
  CHECK(v2(R"({"inputs":[1]})") == "400 inputs[0] must be an object");
  CHECK(v2(R"({"inputs":[{}]})") == "400 inputs[0]: \"name\" must be a string");
  CHECK(v2(R"({"inputs":[{"name":"x"}]})") == "400 unknown input 'x' (the model's input is 'input')");
  CHECK(v2(R"({"id":7,"inputs":[]})") == "400 \"id\" must be a string");
  CHECK(v2(R"({"parameters":[],"inputs":[]})") == "400 \"parameters\" must be an object");
  CHECK(v2(input(R"("shape":[1,4])")) == "400 input 'input': \"datatype\" must be a string");
  CHECK(v2(input(R"("datatype":"FP64","shape":[1,4],"data":[1,2,3,4])")) ==
        "400 input 'input': datatype 'FP64' is not supported (use FP32 or UINT8)");
  CHECK(v2(input(R"("datatype":"FP32","data":[1,2,3,4])")) ==
        "400 input 'input': \"shape\" must be an array of non-negative integers");
  CHECK(v2(input(R"("datatype":"FP32","shape":[-1,4],"data":[1,2,3,4])")) ==
        "400 input 'input': \"shape\" must be an array of non-negative integers");
  CHECK(v2(input(R"("datatype":"FP32","shape":[1.0,4],"data":[1,2,3,4])")) ==
        "400 input 'input': \"shape\" must be an array of non-negative integers");
  CHECK(v2(input(R"("datatype":"FP32","shape":[1,5],"data":[1,2,3,4,5])")) ==
        "400 input 'input': shape [1,5] does not fit the model's input [-1,4] (or [-1,1,2,2])");
  CHECK(v2(input(R"("datatype":"FP32","shape":[4],"data":[1,2,3,4])")) ==
        "400 input 'input': shape [4] does not fit the model's input [-1,4] (or [-1,1,2,2])");
  CHECK(v2(input(R"("datatype":"FP32","shape":[],"data":[])")) ==
        "400 input 'input': shape [] does not fit the model's input [-1,4] (or [-1,1,2,2])");
  CHECK(v2(input(R"("datatype":"FP32","shape":[0,4],"data":[])")) ==
        "400 input 'input': the batch dimension must be at least 1");
  CHECK(v2(input(R"("datatype":"FP32","shape":[1,4])")) == "400 input 'input': \"data\" must be an array");
  CHECK(v2(input(R"("datatype":"FP32","shape":[1,4],"data":"AAAA")")) ==
        "400 input 'input': \"data\" must be an array");
  CHECK(v2(input(R"("datatype":"FP32","shape":[2,4],"data":[1,2,3,4,5,6,7])")) ==
        "400 input 'input': shape [2,4] needs 8 values, \"data\" has 7");
  CHECK(v2(input(R"("datatype":"FP32","shape":[18446744073709551615,4],"data":[1,2,3,4])")) ==
        "400 input 'input': shape [18446744073709551615,4] needs over 2^64 values, \"data\" has 4");
  CHECK(v2(input(R"("datatype":"FP32","shape":[1,4],"data":[1,2,"3",4])")) ==
        "400 input 'input': data[2] is not a number (got string)");
  CHECK(v2(input(R"("datatype":"FP32","shape":[1,4],"data":[[1,2],[null,4]])")) ==
        "400 input 'input': data[2] is not a number (got null)");
  CHECK(v2(input(R"("datatype":"FP32","shape":[1,4],"data":[1,2,3,1e39])")) ==
        "400 input 'input': data[3] = 1e+39 is out of range for FP32");
  CHECK(v2(input(R"("datatype":"UINT8","shape":[1,4],"data":[1,2,3,256])")) ==
        "400 input 'input': data[3] = 256 is not a UINT8 (an integer 0..255)");
  CHECK(v2(input(R"("datatype":"UINT8","shape":[1,4],"data":[-1,2,3,4])")) ==
        "400 input 'input': data[0] = -1 is not a UINT8 (an integer 0..255)");
  CHECK(v2(input(R"("datatype":"UINT8","shape":[1,4],"data":[1.5,2,3,4])")) ==
        "400 input 'input': data[0] = 1.5 is not a UINT8 (an integer 0..255)");
  CHECK(v2(input(R"("datatype":"FP32","shape":[1,4],"data":)" + std::string(40, '[') + "1" + std::string(40, ']'))) ==
        "400 input 'input': data is nested more than 32 deep");
  const std::string data = R"("datatype":"FP32","shape":[1,4],"data":[1,2,3,4]})";
  CHECK(v2(R"({"outputs":{},"inputs":[{"name":"input",)" + data + "]}") == "400 \"outputs\" must be an array");
  CHECK(v2(R"({"outputs":["label"],"inputs":[{"name":"input",)" + data + "]}") ==
        "400 outputs[0] must be an object with a \"name\" string");
  CHECK(v2(R"({"outputs":[{"name":"logits"}],"inputs":[{"name":"input",)" + data + "]}") ==
        "400 unknown output 'logits' (the outputs are probabilities and label)");
}

TEST_CASE("v1: instances, flat or nested, give one label output each") {
  const ParsedRequest p = parse_predict_request(R"({"instances":[[1,2,3,4],[[5,6],[7,8]]]})", sig());
  REQUIRE(std::holds_alternative<InferRequest>(p));
  const InferRequest& r = std::get<InferRequest>(p);
  CHECK(r.batch == 2);
  CHECK(r.data == std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(r.outputs == std::vector<Output>{Output::label});
}

TEST_CASE("v1: every error message") {
  CHECK(v1("nope") == "400 malformed JSON at line 1, column 1: invalid literal");
  CHECK(v1("3") == "400 the request body must be a JSON object");
  CHECK(v1("{}") == "400 \"instances\" must be a non-empty array");
  CHECK(v1(R"({"instances":[]})") == "400 \"instances\" must be a non-empty array");
  CHECK(v1(R"({"instances":[1,2,3,4]})") == "400 instances[0] must be an array of 4 numbers");
  CHECK(v1(R"({"instances":[[1,2,3,4],[1,2,3]]})") == "400 instances[1] has 3 values, the model takes 4");
  CHECK(v1(R"({"instances":[[1,2,true,4]]})") == "400 instances[0][2] is not a number (got boolean)");
  CHECK(v1(R"({"instances":[[1,2,3,-1e300]]})") == "400 instances[0][3] = -1e+300 is out of range for FP32");
}

TEST_CASE("signature: features and output names") {
  CHECK(sig().features() == 4);
  CHECK(output_name(Output::probabilities) == "probabilities");
  CHECK(output_name(Output::label) == "label");
}

namespace {

// A text model with class names.
ModelSignature text_sig() {
  ModelSignature s;
  s.sample_shape = {8};
  s.classes = 2;
  s.text = true;
  s.labels = {"card_arrival", "refund"};
  return s;
}

std::string tv2(const std::string& body) { return error_of(parse_infer_request(body, text_sig())); }

} // namespace

TEST_CASE("v2 text: BYTES strings with shape [N] or [N, 1], class_name among the outputs") {
  ParsedRequest p = parse_infer_request(input(R"("datatype":"BYTES","shape":[2],"data":["where is my card","refund?"])"),
                                        text_sig());
  REQUIRE_MESSAGE(std::holds_alternative<InferRequest>(p), error_of(p));
  const InferRequest& r = std::get<InferRequest>(p);
  CHECK(r.batch == 2);
  CHECK(r.texts == std::vector<std::string>{"where is my card", "refund?"});
  CHECK(r.data.empty());
  CHECK(r.outputs == std::vector<Output>{Output::probabilities, Output::label, Output::class_name});
  p = parse_infer_request(R"({"inputs":[{"name":"input","datatype":"BYTES","shape":[2,1],"data":[["a"],["b"]]}],)"
                          R"("outputs":[{"name":"class_name"}]})",
                          text_sig());
  REQUIRE_MESSAGE(std::holds_alternative<InferRequest>(p), error_of(p));
  CHECK(std::get<InferRequest>(p).texts == std::vector<std::string>{"a", "b"});
  CHECK(std::get<InferRequest>(p).outputs == std::vector<Output>{Output::class_name});
}

TEST_CASE("v2 text: errors, pinned") {
  CHECK(tv2(input(R"("datatype":"FP32","shape":[1],"data":[1])")) ==
        "400 input 'input': datatype 'FP32' is not supported (the model takes text: use BYTES)");
  CHECK(tv2(input(R"("datatype":"BYTES","shape":[1,2],"data":["a","b"])")) ==
        "400 input 'input': shape [1,2] does not fit the model's input [-1] (or [-1,1]): one string per text");
  CHECK(tv2(input(R"("datatype":"BYTES","shape":"x","data":["a"])")) ==
        "400 input 'input': \"shape\" must be an array of non-negative integers");
  CHECK(tv2(input(R"("datatype":"BYTES","shape":[0],"data":[])")) ==
        "400 input 'input': the batch dimension must be at least 1");
  CHECK(tv2(input(R"("datatype":"BYTES","shape":[2],"data":["a",3])")) ==
        "400 input 'input': data[1] is not a string (got number)");
  CHECK(tv2(input(R"("datatype":"BYTES","shape":[2],"data":["a"])")) ==
        "400 input 'input': shape [2] needs 2 strings, \"data\" has 1");
  CHECK(tv2(input(R"("datatype":"BYTES","shape":[1],"data":"a")")) == "400 input 'input': \"data\" must be an array");
  CHECK(tv2(R"({"inputs":[{"name":"input","datatype":"BYTES","shape":[1],"data":["a"]}],"outputs":[{"name":"logits"}]})") ==
        "400 unknown output 'logits' (the outputs are probabilities, label and class_name)");
  // An image model knows no class_name.
  CHECK(v2(R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}],"outputs":[{"name":"class_name"}]})") ==
        "400 unknown output 'class_name' (the outputs are probabilities and label)");
}

TEST_CASE("v1 text: instances are strings") {
  ParsedRequest p = parse_predict_request(R"({"instances":["my card","refund"]})", text_sig());
  REQUIRE_MESSAGE(std::holds_alternative<InferRequest>(p), error_of(p));
  CHECK(std::get<InferRequest>(p).texts.size() == 2);
  CHECK(error_of(parse_predict_request(R"({"instances":[[1,2]]})", text_sig())) ==
        "400 instances[0] must be a string (the model takes text)");
}
