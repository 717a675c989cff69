// The transformer's parts (runtime/transformer_ops.cpp) and the encoder
// layer (runtime/transformer.cpp) against finite differences, plus the
// properties a padded, batched text model must have.
#include "gradcheck.h"
#include "support.h"

#include "runtime/transformer.h"
#include "runtime/transformer_ops.h"

#include <doctest/doctest.h>

#include <cmath>
#include <functional>

using namespace kf::trainer;
using namespace kf::trainer::test;

namespace {

// Checks analytic[i] against central differences of loss() in values[i].
void check_against_differences(std::vector<float>& values, const std::vector<float>& analytic,
                               const std::function<double()>& loss, const char* what, double eps = 1e-2) {
  REQUIRE(values.size() == analytic.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float saved = values[i];
    values[i] = saved + static_cast<float>(eps);
    const double up = loss();
    values[i] = saved - static_cast<float>(eps);
    const double down = loss();
    values[i] = saved;
    INFO(what << "[" << i << "] analytic " << analytic[i] << " numeric " << (up - down) / (2 * eps));
    CHECK(close(analytic[i], (up - down) / (2 * eps)));
  }
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return s;
}

std::vector<float> random_values(std::size_t n, std::uint64_t seed) { return random_tensor({n}, seed).data; }

// A batch of id rows; each text's ids, then padding.
Tensor id_rows(const std::vector<std::vector<float>>& texts, std::size_t slots) {
  Tensor t({texts.size(), slots});
  for (std::size_t i = 0; i < texts.size(); ++i)
    for (std::size_t j = 0; j < texts[i].size(); ++j) t.data[i * slots + j] = texts[i][j];
  return t;
}

// Embeddings of unit scale for finite differences: at the initial 0.02 a
// 1e-2 step is far outside the linear range of the LayerNorm.
void unit_scale_embeddings(TransformerEncoder& layer, std::uint64_t seed) {
  for (Param* p : layer.params())
    if (p->name.find("embedding") != std::string::npos) p->value = random_values(p->value.size(), seed);
}

TransformerConfig tiny_config() {
  TransformerConfig c;
  c.rows = 11;
  c.positions = 6;
  c.dim = 8;
  c.heads = 2;
  c.layers = 2;
  c.ffn = 12;
  c.dropout = 0.0f;
  return c;
}

} // namespace

TEST_CASE("layer norm: rows have zero mean and unit variance before the affine - gradients match") {
  const std::size_t rows = 3, d = 5;
  std::vector<float> x = random_values(rows * d, 1), gamma = random_values(d, 2), beta = random_values(d, 3);
  std::vector<float> y(rows * d), mean(rows), rstd(rows);
  const std::vector<float> ones(d, 1.0f), zeros(d, 0.0f);
  kf::trainer::ops::layer_norm_forward(x.data(), rows, d, ones.data(), zeros.data(), y.data(), mean.data(), rstd.data());
  for (std::size_t r = 0; r < rows; ++r) {
    double m = 0.0, v = 0.0;
    for (std::size_t i = 0; i < d; ++i) m += static_cast<double>(y[r * d + i]);
    for (std::size_t i = 0; i < d; ++i) v += static_cast<double>(y[r * d + i] * y[r * d + i]);
    CHECK(m / d == doctest::Approx(0.0).epsilon(1e-5));
    CHECK(v / d == doctest::Approx(1.0).epsilon(1e-3)); // eps 1e-5 in the variance
  }
  const std::vector<float> r = random_values(rows * d, 4);
  auto loss = [&] {
    kf::trainer::ops::layer_norm_forward(x.data(), rows, d, gamma.data(), beta.data(), y.data(), mean.data(), rstd.data());
    return dot(y, r);
  };
  loss();
  std::vector<float> dx(rows * d), dgamma(d, 0.0f), dbeta(d, 0.0f);
  kf::trainer::ops::layer_norm_backward(x.data(), r.data(), rows, d, gamma.data(), mean.data(), rstd.data(), dx.data(),
                                        dgamma.data(), dbeta.data());
  check_against_differences(x, dx, loss, "x", 1e-3);
  check_against_differences(gamma, dgamma, loss, "gamma", 1e-3);
  check_against_differences(beta, dbeta, loss, "beta", 1e-3);
}

TEST_CASE("gelu: the erf form's values (torch.nn.functional.gelu) - gradients match") {
  std::vector<float> x = {-3.0f, -1.0f, 0.0f, 0.5f, 1.0f, 2.0f};
  std::vector<float> y(x.size());
  kf::trainer::ops::gelu_forward(x.data(), y.data(), x.size());
  CHECK(y[0] == doctest::Approx(-0.0040496).epsilon(1e-4));
  CHECK(y[1] == doctest::Approx(-0.1586553).epsilon(1e-5));
  CHECK(y[2] == 0.0f);
  CHECK(y[3] == doctest::Approx(0.3457312).epsilon(1e-5));
  CHECK(y[4] == doctest::Approx(0.8413447).epsilon(1e-5));
  CHECK(y[5] == doctest::Approx(1.9544997).epsilon(1e-5));
  const std::vector<float> r = random_values(x.size(), 5);
  auto loss = [&] {
    kf::trainer::ops::gelu_forward(x.data(), y.data(), x.size());
    return dot(y, r);
  };
  std::vector<float> dx(x.size());
  kf::trainer::ops::gelu_backward(x.data(), r.data(), dx.data(), x.size());
  check_against_differences(x, dx, loss, "x", 1e-3);
}

TEST_CASE("attention: masked keys get no weight, rows sum to one - gradients match") {
  const kf::trainer::ops::AttentionShape s{4, 6, 2}; // t=4 positions, d=6, 2 heads of 3
  std::vector<float> qkv = random_values(s.t * 3 * s.d, 6);
  const std::vector<std::uint8_t> keep = {1, 1, 0, 1};
  std::vector<float> probs(s.heads * s.t * s.t), ctx(s.t * s.d);
  kf::trainer::ops::attention_forward(s, qkv.data(), keep.data(), probs.data(), ctx.data());
  for (std::size_t row = 0; row < s.heads * s.t; ++row) {
    CHECK(probs[row * s.t + 2] == 0.0f);
    CHECK(probs[row * s.t] + probs[row * s.t + 1] + probs[row * s.t + 3] == doctest::Approx(1.0f));
  }
  // Head 0, query 0 by hand: softmax(q.k / sqrt(3)) over keys 0, 1, 3, then the weighted values.
  {
    auto at = [&](std::size_t t, std::size_t col) { return qkv[t * 3 * s.d + col]; };
    double w[4] = {0, 0, 0, 0}, sum = 0.0;
    for (std::size_t k : {0u, 1u, 3u}) {
      double qk = 0.0;
      for (std::size_t c = 0; c < 3; ++c) qk += static_cast<double>(at(0, c) * at(k, s.d + c));
      w[k] = std::exp(qk / std::sqrt(3.0));
      sum += w[k];
    }
    double ctx00 = 0.0;
    for (std::size_t k : {0u, 1u, 3u}) ctx00 += w[k] / sum * static_cast<double>(at(k, 2 * s.d));
    CHECK(ctx[0] == doctest::Approx(ctx00).epsilon(1e-5));
  }
  const std::vector<float> r = random_values(ctx.size(), 7);
  auto loss = [&] {
    kf::trainer::ops::attention_forward(s, qkv.data(), keep.data(), probs.data(), ctx.data());
    return dot(ctx, r);
  };
  loss();
  std::vector<float> dqkv(qkv.size()), scratch(s.t * s.t);
  kf::trainer::ops::attention_backward(s, qkv.data(), probs.data(), r.data(), dqkv.data(), scratch.data());
  check_against_differences(qkv, dqkv, loss, "qkv", 1e-3);
}

TEST_CASE("attention: a sequence of only padding gives zero weights and a zero context") {
  const kf::trainer::ops::AttentionShape s{2, 2, 1};
  const std::vector<float> qkv = random_values(2 * 3 * 2, 8);
  const std::vector<std::uint8_t> keep = {0, 0};
  std::vector<float> probs(4, 1.0f), ctx(4, 1.0f);
  kf::trainer::ops::attention_forward(s, qkv.data(), keep.data(), probs.data(), ctx.data());
  CHECK(probs == std::vector<float>(4, 0.0f));
  CHECK(ctx == std::vector<float>(4, 0.0f));
}

TEST_CASE("transformer encoder: parameter gradients match finite differences - mean and cls pooling") {
  for (const std::string pooling : {"mean", "cls"}) {
    CAPTURE(pooling);
    TransformerConfig c = tiny_config();
    c.pooling = pooling;
    Rng rng(3);
    TransformerEncoder layer(c, "enc", rng);
    unit_scale_embeddings(layer, 21);
    // Texts of different lengths; the batch is cut to the longest (5 of 6 slots).
    const Tensor x = id_rows({{1, 4, 7, 2}, {1, 9, 3, 10, 5}, {1, 2}}, c.positions);
    check_layer_gradients(layer, x, 1e-2, false);
  }
}

TEST_CASE("transformer encoder: hashed features after the token slots add their mean - gradients match") {
  TransformerConfig c = tiny_config();
  c.layers = 1;
  c.hash_slots = 3;
  Rng rng(9);
  TransformerEncoder layer(c, "enc", rng);
  unit_scale_embeddings(layer, 22);
  CHECK(layer.output_shape({9}) == Shape{8});
  // Token slots (6), then hashed rows (3; 0 = none).
  const Tensor x = id_rows({{1, 4, 7, 0, 0, 0, 9, 10, 0}, {1, 2, 0, 0, 0, 0, 0, 0, 0}}, 9);
  check_layer_gradients(layer, x, 1e-2, false);
  // The second text has no hashed features: its vector is the encoder's alone.
  TransformerConfig plain = c;
  plain.hash_slots = 0;
  Rng same(9);
  TransformerEncoder without(plain, "enc", same);
  for (std::size_t i = 0; i < layer.params().size(); ++i) without.params()[i]->value = layer.params()[i]->value;
  Tensor a, b;
  layer.forward(x, a);
  without.forward(id_rows({{1, 4, 7}, {1, 2}}, 6), b);
  for (std::size_t k = 0; k < 8; ++k) {
    CHECK(a.data[8 + k] == doctest::Approx(b.data[8 + k]));
    const float bag = 0.5f * (layer.params()[0]->value[9 * 8 + k] + layer.params()[0]->value[10 * 8 + k]);
    CHECK(a.data[k] == doctest::Approx(b.data[k] + bag));
  }
}

TEST_CASE("transformer encoder: a text's vector does not depend on its batch or its padding") {
  Rng rng(4);
  TransformerEncoder layer(tiny_config(), "enc", rng);
  Tensor alone, batched;
  layer.forward(id_rows({{1, 4, 7}}, 6), alone);
  layer.forward(id_rows({{1, 9, 3, 10, 5, 6}, {1, 4, 7}}, 6), batched);
  REQUIRE(alone.shape == Shape{1, 8});
  REQUIRE(batched.shape == Shape{2, 8});
  for (std::size_t k = 0; k < 8; ++k) CHECK(batched.data[8 + k] == doctest::Approx(alone.data[k]).epsilon(1e-5));
  // An empty text (all padding) pools to zeros rather than NaN.
  Tensor empty;
  layer.forward(id_rows({{}}, 6), empty);
  for (float v : empty.data) CHECK(v == 0.0f);
}

TEST_CASE("transformer encoder: dropout only in training, and evaluation is deterministic") {
  TransformerConfig c = tiny_config();
  c.dropout = 0.5f;
  Rng rng(5);
  TransformerEncoder layer(c, "enc", rng);
  const Tensor x = id_rows({{1, 4, 7, 2}, {1, 9}}, c.positions);
  Tensor a, b, trained;
  layer.forward(x, a);
  layer.forward(x, b);
  CHECK(a.data == b.data);
  layer.set_training(true);
  layer.forward(x, trained);
  layer.set_training(false);
  CHECK(trained.data != a.data);
  layer.forward(x, b);
  CHECK(b.data == a.data);
}

TEST_CASE("transformer encoder: ids outside the vocabulary and bad shapes are errors") {
  Rng rng(6);
  TransformerConfig c = tiny_config();
  TransformerEncoder layer(c, "enc", rng);
  Tensor out;
  CHECK(error_of([&] { layer.forward(id_rows({{1, 11}}, 6), out); }) ==
        "embedding: id 11.000000 is outside the table's 11 rows");
  CHECK(error_of([&] { (void)layer.output_shape({5}); }) == "the transformer takes rows of 6 token ids");
  c.heads = 3;
  CHECK(error_of([&] { TransformerEncoder bad(c, "enc", rng); }) ==
        "--embedding-dim (8) must be a positive multiple of --heads (3)");
  c = tiny_config();
  c.pooling = "max";
  CHECK(error_of([&] { TransformerEncoder bad(c, "enc", rng); }) == "unknown --pooling 'max' (expected mean or cls)");
  c = tiny_config();
  c.dropout = 1.0f;
  CHECK(error_of([&] { TransformerEncoder bad(c, "enc", rng); }) == "--dropout must be in [0, 1)");
  c = tiny_config();
  c.layers = 0;
  CHECK(error_of([&] { TransformerEncoder bad(c, "enc", rng); }) == "--encoder-layers must be at least 1");
}

TEST_CASE("transformer model: gradients through the classifier match finite differences - names follow torch") {
  ModelConfig c;
  c.kind = "transformer";
  c.input = {5};
  c.vocab_rows = 9;
  c.embedding_dim = 4;
  c.heads = 2;
  c.encoder_layers = 1;
  c.ffn_dim = 6;
  c.dropout = 0.0f;
  c.hidden = {};
  c.classes = 3;
  Model model(c, 7);
  const Tensor x = id_rows({{1, 3, 4}, {1, 8, 2, 6, 5}, {1, 7}}, 5);
  check_model_gradients(model, x, {0, 2, 1}, 2);
  const auto params = model.params();
  CHECK(params.front()->name == "layers.0.encoder.token_embedding.weight");
  CHECK(params[4]->name == "layers.0.encoder.blocks.0.attn.in_proj_weight");
  CHECK(params[4]->shape == Shape{12, 4});
  CHECK(params.back()->name == "layers.1.bias");
  CHECK(model.config_json()["layers"][0]["type"] == "transformer_encoder");
}

namespace {

// A transformer over 6 token slots and 2 hashed-feature slots, 3 classes.
ModelConfig hashed_text_model(std::size_t layers, std::size_t ffn) {
  ModelConfig c;
  c.kind = "transformer";
  c.input = {6 + 2};
  c.hash_slots = 2;
  c.vocab_rows = 14;
  c.embedding_dim = 8;
  c.heads = 2;
  c.encoder_layers = layers;
  c.ffn_dim = ffn;
  c.hidden = {};
  c.classes = 3;
  return c;
}

} // namespace

TEST_CASE("transformer model: frozen (as kf-server loads it), the same logits through the projections' W^T") {
  const ModelConfig c = hashed_text_model(2, 12);
  Model model(c, 9), frozen(c, 9);
  frozen.freeze();
  const Tensor x = id_rows({{1, 4, 7, 2, 5, 6, 12, 13}, {1, 2, 0, 0, 0, 0, 11, 0}, {1, 9, 3, 0, 0, 0, 0, 0}}, 8);
  const Tensor want = model.forward(x);
  const Tensor& got = frozen.forward(x);
  REQUIRE(got.data.size() == want.data.size());
  for (std::size_t i = 0; i < want.data.size(); ++i) CHECK(got.data[i] == doctest::Approx(want.data[i]).epsilon(1e-5));
  std::size_t transposed = 0;
  for (Param* p : frozen.params()) transposed += p->transposed.empty() ? 0 : 1;
  CHECK(transposed == 4 * 2 + 1); // four projections per block, and the classifier
}

TEST_CASE("transformer model: summed half-batch gradients equal the full batch's (halves cut to other lengths)") {
  ModelConfig c = hashed_text_model(1, 8);
  c.dropout = 0.0f;
  Model full(c, 5), half(c, 5);
  // The first half's longest text has 6 tokens, the second half's 3.
  const Tensor x = id_rows({{1, 4, 7, 2, 5, 6, 12, 13}, {1, 2, 0, 0, 0, 0, 11, 0}, {1, 9, 3, 0, 0, 0, 0, 0},
                            {1, 3, 0, 0, 0, 0, 12, 11}},
                           8);
  const std::vector<std::uint8_t> y = {0, 1, 2, 1};
  full.train_batch(x, y, 1.0f / 4);
  const auto sum = half_batch_gradient_sum(half, x, y);
  const auto params = full.params();
  for (std::size_t i = 0; i < params.size(); ++i) {
    CAPTURE(params[i]->name);
    for (std::size_t j = 0; j < sum[i].size(); ++j) CHECK(sum[i][j] == doctest::Approx(params[i]->grad[j]).epsilon(1e-4));
  }
}
