// Gradients of every layer and of whole models against finite differences.
#include "runtime/model.h"
#include "tests/runtime/unit/gradcheck.h"
#include "tests/runtime/unit/support.h"

using namespace kf::trainer;
using namespace kf::trainer::test;

TEST_CASE("dense: gradients match finite differences") {
  Rng rng(1);
  Dense layer(5, 3, "d", rng);
  for (float& b : layer.params()[1]->value) b = rng.uniform(-0.5f, 0.5f);
  check_layer_gradients(layer, random_tensor({4, 5}, 2));
}

TEST_CASE("activations: gradients match finite differences") {
  for (auto kind : {ActivationKind::relu, ActivationKind::tanh, ActivationKind::sigmoid}) {
    CAPTURE(to_string(kind));
    Activation layer(kind);
    // Keep inputs away from ReLU's kink at 0.
    Tensor x = random_tensor({3, 7}, 3);
    for (float& v : x.data) v += v >= 0 ? 0.1f : -0.1f;
    check_layer_gradients(layer, x, 1e-3);
  }
}

TEST_CASE("flatten: passes values and gradients through") {
  Flatten layer;
  check_layer_gradients(layer, random_tensor({2, 2, 3, 3}, 4));
  CHECK(layer.output_shape({2, 3, 3}) == Shape{18});
}

TEST_CASE("conv2d: gradients match finite differences (multi-channel, padding)") {
  Rng rng(5);
  Conv2d layer(2, 5, 4, 3, 3, "c", rng);
  for (float& b : layer.params()[1]->value) b = rng.uniform(-0.5f, 0.5f);
  check_layer_gradients(layer, random_tensor({2, 2, 5, 4}, 6));
}

TEST_CASE("conv2d: 5x5 kernel on one channel") {
  Rng rng(7);
  Conv2d layer(1, 6, 6, 2, 5, "c", rng);
  check_layer_gradients(layer, random_tensor({1, 1, 6, 6}, 8));
}

TEST_CASE("maxpool2d: gradients match finite differences - odd sizes drop the edge") {
  MaxPool2d layer;
  // Distinct values spaced well beyond eps, so no argmax flips.
  Tensor x({2, 2, 5, 4});
  Rng rng(9);
  std::vector<float> values(x.data.size());
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.1f;
  rng.shuffle(values);
  x.data = values;
  check_layer_gradients(layer, x, 1e-3);
  CHECK(layer.output_shape({2, 5, 4}) == Shape{2, 2, 2});
}

TEST_CASE("maxpool2d: a tie goes to the first maximum in row order, as before the branch-free loop") {
  MaxPool2d layer;
  Tensor x({1, 1, 2, 4});
  x.data = {1, 1, 0, 2, // window 0: all four equal -> the top-left
            1, 1, 2, 2}; // window 1: 2 at top-right and in the bottom row -> the top-right
  Tensor out, din;
  layer.forward(x, out);
  CHECK(out.data == std::vector<float>{1, 2});
  Tensor dout({1, 1, 1, 2});
  dout.data = {10, 20};
  layer.backward(x, out, dout, &din);
  CHECK(din.data == std::vector<float>{10, 0, 0, 20, 0, 0, 0, 0});
}

// The CNN pools before its activation (Model::add_conv_blocks): the same
// values and gradients as PyTorch's conv-activation-pool, with the
// activation on a quarter of the elements.
TEST_CASE("maxpool2d and a non-decreasing activation commute - values and gradients") {
  for (auto kind : {ActivationKind::relu, ActivationKind::tanh, ActivationKind::sigmoid}) {
    CAPTURE(to_string(kind));
    const Tensor x = random_tensor({3, 4, 6, 6}, 21, -3.0f, 3.0f);
    Activation act_a(kind), act_b(kind);
    MaxPool2d pool_a, pool_b;
    Tensor a1, a2, b1, b2; // a: activation, then pool (torch's order); b: pool, then activation
    act_a.forward(x, a1);
    pool_a.forward(a1, a2);
    pool_b.forward(x, b1);
    act_b.forward(b1, b2);
    REQUIRE(a2.shape == b2.shape);
    CHECK(a2.data == b2.data);
    const Tensor dy = random_tensor(a2.shape, 22);
    Tensor da1, da0, db1, db0;
    pool_a.backward(a1, a2, dy, &da1);
    act_a.backward(x, a1, da1, &da0);
    act_b.backward(b1, b2, dy, &db1);
    pool_b.backward(x, b1, db1, &db0);
    REQUIRE(da0.data.size() == db0.data.size());
    for (std::size_t i = 0; i < da0.data.size(); ++i) CHECK(da0.data[i] == doctest::Approx(db0.data[i]).epsilon(1e-6));
  }
}

TEST_CASE("conv2d: a second batch after a backward pass sees zeros in the padding again") {
  Rng rng(3);
  Conv2d layer(1, 3, 3, 2, 3, "c", rng);
  const Tensor x = random_tensor({2, 1, 3, 3}, 4);
  Tensor first, again, din;
  layer.forward(x, first);
  layer.backward(x, first, random_tensor({2, 2, 3, 3}, 5), &din);
  layer.forward(x, again);
  CHECK(again.data == first.data);
}

TEST_CASE("softmax cross-entropy: gradient and loss") {
  Tensor logits = random_tensor({3, 4}, 10, -2.0f, 2.0f);
  const std::vector<std::uint8_t> labels = {0, 3, 1};
  Tensor grad;
  const LossResult r = softmax_cross_entropy(logits, labels, 1.0f, &grad);
  const double eps = 1e-3;
  for (std::size_t i = 0; i < logits.data.size(); ++i) {
    Tensor up = logits, down = logits;
    up.data[i] += static_cast<float>(eps);
    down.data[i] -= static_cast<float>(eps);
    const double numeric = (softmax_cross_entropy(up, labels, 1.0f, nullptr).loss_sum -
                            softmax_cross_entropy(down, labels, 1.0f, nullptr).loss_sum) / (2 * eps);
    CHECK(close(grad.data[i], numeric));
  }
  CHECK(r.loss_sum > 0.0);
  // Uniform logits: loss is log(K) per sample.
  Tensor zeros({2, 4});
  CHECK(softmax_cross_entropy(zeros, {1, 2}, 1.0f, nullptr).loss_sum == doctest::Approx(2 * std::log(4.0)));
}

TEST_CASE("softmax cross-entropy with label smoothing: torch's loss, and its gradient") {
  Tensor logits = random_tensor({3, 4}, 11, -2.0f, 2.0f);
  const std::vector<std::uint8_t> labels = {2, 0, 3};
  Tensor grad;
  softmax_cross_entropy(logits, labels, 1.0f, &grad, 0.1f);
  const double eps = 1e-3;
  for (std::size_t i = 0; i < logits.data.size(); ++i) {
    Tensor up = logits, down = logits;
    up.data[i] += static_cast<float>(eps);
    down.data[i] -= static_cast<float>(eps);
    const double numeric = (softmax_cross_entropy(up, labels, 1.0f, nullptr, 0.1f).loss_sum -
                            softmax_cross_entropy(down, labels, 1.0f, nullptr, 0.1f).loss_sum) / (2 * eps);
    CHECK(close(grad.data[i], numeric));
  }
  // torch.nn.functional.cross_entropy(torch.tensor([[1., 2., 3.]]), torch.tensor([0]), label_smoothing=0.2) = 2.2076
  Tensor one({1, 3});
  one.data = {1.0f, 2.0f, 3.0f};
  CHECK(softmax_cross_entropy(one, {0}, 1.0f, nullptr, 0.2f).loss_sum == doctest::Approx(2.2076).epsilon(1e-4));
}

TEST_CASE("whole models: parameter gradients match finite differences") {
  for (const std::string kind : {"mlp", "cnn"}) {
    CAPTURE(kind);
    Model model(small_image_model(kind), 11);
    const Tensor x = random_tensor({3, 1, 6, 6}, 12, 0.0f, 1.0f);
    check_model_gradients(model, x, {0, 2, 3}, 3);
  }
}

TEST_CASE("frozen models (kf-server's): the same logits through W^T, and no training") {
  for (const std::string kind : {"mlp", "cnn"}) {
    CAPTURE(kind);
    ModelConfig c = small_image_model(kind);
    c.batch_norm = true;
    Model model(c, 21), frozen(c, 21);
    frozen.freeze();
    CHECK(frozen.frozen());
    for (Param* p : frozen.params()) CHECK(p->grad.empty());
    const Tensor x = random_tensor({5, 1, 6, 6}, 22, 0.0f, 1.0f);
    const Tensor want = model.forward(x);
    const Tensor& got = frozen.forward(x);
    REQUIRE(got.data.size() == want.data.size());
    for (std::size_t i = 0; i < want.data.size(); ++i) CHECK(got.data[i] == doctest::Approx(want.data[i]).epsilon(1e-5));
    CHECK(error_of([&] { frozen.train_batch(x, {0, 1, 2, 3, 0}, 0.2f); }) == "a model frozen for inference cannot train");
  }
}

TEST_CASE("data parallelism: summed half-batch gradients equal the full-batch gradient") {
  ModelConfig c;
  c.hidden = {8};
  c.input = {1, 4, 4};
  c.classes = 3;
  Model full(c, 3), half(c, 3);
  const Tensor x = random_tensor({8, 1, 4, 4}, 13, 0.0f, 1.0f);
  const std::vector<std::uint8_t> y = {0, 1, 2, 0, 1, 2, 0, 1};
  full.train_batch(x, y, 1.0f / 8);
  const auto sum = half_batch_gradient_sum(half, x, y);
  const auto params = full.params();
  for (std::size_t i = 0; i < params.size(); ++i)
    for (std::size_t j = 0; j < sum[i].size(); ++j) CHECK(sum[i][j] == doctest::Approx(params[i]->grad[j]).epsilon(1e-4));
}

TEST_CASE("models: the same seed gives the same weights, another seed other weights") {
  ModelConfig c;
  c.kind = "cnn";
  c.input = {1, 8, 8};
  Model a(c, 42), b(c, 42), d(c, 43);
  CHECK(a.params()[0]->value == b.params()[0]->value);
  CHECK(a.params()[0]->value != d.params()[0]->value);
}

TEST_CASE("models: bad configurations are usage errors with clear messages") {
  ModelConfig c;
  c.kind = "rnn";
  CHECK_THROWS_WITH(Model(c, 1), "unknown model 'rnn' (expected mlp, cnn, embeddingbag or transformer)");
  c.kind = "cnn";
  c.kernel_size = 4;
  CHECK_THROWS_WITH(Model(c, 1), "--kernel-size must be odd, got 4");
  c.kernel_size = 3;
  c.conv_channels = {4, 4, 4, 4, 4};
  CHECK_THROWS_WITH(Model(c, 1), "--conv-channels has too many blocks for a 28x28 input (each block halves the image)");
}
