// SGD with momentum, Adam, weight decay and the learning-rate schedules.
#include "runtime/error.h"
#include "runtime/optimizer.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace kf::trainer;

TEST_CASE("sgd: momentum accumulates - weight decay skips biases") {
  Param w("w", {2}, true), b("b", {1}, false);
  w.value = {1.0f, -2.0f};
  b.value = {0.5f};
  OptimizerConfig c;
  c.momentum = 0.5f;
  c.weight_decay = 0.1f;
  Optimizer opt(c, {&w, &b});
  w.grad = {0.2f, 0.0f};
  b.grad = {1.0f};
  opt.step(0.1f);
  // g = grad + 0.1*w -> {0.3, -0.2}; v = g; w -= 0.1 v
  CHECK(w.value[0] == doctest::Approx(0.97f));
  CHECK(w.value[1] == doctest::Approx(-1.98f));
  CHECK(b.value[0] == doctest::Approx(0.4f));
  opt.step(0.1f);
  // second step: g = {0.2+0.097, 0-0.198}; v = 0.5*v + g
  CHECK(w.value[0] == doctest::Approx(0.97f - 0.1f * (0.5f * 0.3f + 0.297f)));
  CHECK(b.value[0] == doctest::Approx(0.4f - 0.1f * (0.5f * 1.0f + 1.0f)));
  CHECK(opt.steps() == 2);
  CHECK(opt.state().size() == 2);
}

TEST_CASE("adam: the first step moves each weight by about lr against its gradient") {
  Param w("w", {3}, true);
  w.value = {0.0f, 1.0f, 2.0f};
  w.grad = {0.5f, -3.0f, 1e-3f};
  OptimizerConfig c;
  c.kind = "adam";
  Optimizer opt(c, {&w});
  opt.step(0.01f);
  CHECK(w.value[0] == doctest::Approx(-0.01f).epsilon(1e-3));
  CHECK(w.value[1] == doctest::Approx(1.01f).epsilon(1e-3));
  CHECK(w.value[2] == doctest::Approx(1.99f).epsilon(1e-3));
  CHECK(opt.state().size() == 2); // m and v
}

TEST_CASE("schedules: constant, step and cosine") {
  OptimizerConfig c;
  c.lr = 0.1f;
  CHECK(learning_rate(c, 500, 100, 1000) == doctest::Approx(0.1f));
  c.schedule = "step";
  c.step_epochs = 2;
  c.gamma = 0.5f;
  CHECK(learning_rate(c, 199, 100, 1000) == doctest::Approx(0.1f));
  CHECK(learning_rate(c, 200, 100, 1000) == doctest::Approx(0.05f));
  CHECK(learning_rate(c, 450, 100, 1000) == doctest::Approx(0.025f));
  c.schedule = "cosine";
  CHECK(learning_rate(c, 0, 100, 1000) == doctest::Approx(0.1f));
  CHECK(learning_rate(c, 500, 100, 1000) == doctest::Approx(0.05f));
  CHECK(learning_rate(c, 1000, 100, 1000) == doctest::Approx(0.0f));
}

TEST_CASE("warm-up: the rate climbs linearly to lr, then the cosine runs over the remaining steps") {
  OptimizerConfig c;
  c.lr = 0.1f;
  c.schedule = "cosine";
  c.warmup_steps = 100;
  CHECK(learning_rate(c, 0, 100, 1100) == doctest::Approx(0.001f));
  CHECK(learning_rate(c, 49, 100, 1100) == doctest::Approx(0.05f));
  CHECK(learning_rate(c, 99, 100, 1100) == doctest::Approx(0.1f));
  CHECK(learning_rate(c, 100, 100, 1100) == doctest::Approx(0.1f));
  CHECK(learning_rate(c, 600, 100, 1100) == doctest::Approx(0.05f));
  CHECK(learning_rate(c, 1100, 100, 1100) == doctest::Approx(0.0f));
  c.schedule = "constant";
  CHECK(learning_rate(c, 10, 100, 1100) == doctest::Approx(0.011f));
  CHECK(learning_rate(c, 700, 100, 1100) == doctest::Approx(0.1f));
}

TEST_CASE("adamw: weight decay shrinks weights directly instead of entering the moments") {
  Param w("w", {2}, true), b("b", {1}, false);
  w.value = {2.0f, -1.0f};
  b.value = {3.0f};
  OptimizerConfig c;
  c.kind = "adamw";
  c.weight_decay = 0.5f;
  Optimizer opt(c, {&w, &b});
  // No gradient: Adam's step is 0, so only the decay moves the weights: w *= 1 - lr*wd.
  w.grad = {0.0f, 0.0f};
  b.grad = {0.0f};
  opt.step(0.1f);
  CHECK(w.value[0] == doctest::Approx(2.0f * 0.95f));
  CHECK(w.value[1] == doctest::Approx(-1.0f * 0.95f));
  CHECK(b.value[0] == 3.0f); // biases do not decay
  CHECK(opt.state().size() == 4);
  // Adam with L2 instead feeds wd*w into the moments: the first step moves w by about lr.
  Param w2("w", {1}, true);
  w2.value = {2.0f};
  w2.grad = {0.0f};
  c.kind = "adam";
  Optimizer adam(c, {&w2});
  adam.step(0.1f);
  CHECK(w2.value[0] == doctest::Approx(1.9f).epsilon(1e-4));
}

TEST_CASE("row-sparse params: only touched rows move (lazy Adam), and the rest of the gradient stays zero") {
  for (const std::string kind : {"adamw", "sgd"}) {
    CAPTURE(kind);
    Param table("emb", {4, 2}, true), dense("w", {4, 2}, true);
    table.value = dense.value = {1, 1, 2, 2, 3, 3, 4, 4};
    table.make_sparse();
    OptimizerConfig c;
    c.kind = kind;
    c.weight_decay = 0.1f;
    Optimizer sparse_opt(c, {&table}), dense_opt(c, {&dense});
    // Rows 1 and 3 get gradients; the dense twin has the same gradient everywhere.
    table.clear_grad();
    table.grad_row(3)[0] = 0.5f;
    table.grad_row(1)[1] = -0.25f;
    table.grad_row(3)[1] = 1.0f; // a row touched twice is listed once
    CHECK(table.touched == std::vector<std::uint32_t>{3, 1});
    dense.grad = table.grad;
    sparse_opt.step(0.1f);
    dense_opt.step(0.1f);
    for (std::size_t j : {2u, 3u, 6u, 7u}) CHECK(table.value[j] == doctest::Approx(dense.value[j]));
    for (std::size_t j : {0u, 1u, 4u, 5u}) CHECK(table.value[j] == doctest::Approx(1.0f + static_cast<float>(j / 2))); // no decay either
    table.clear_grad();
    CHECK(table.touched.empty());
    for (float g : table.grad) CHECK(g == 0.0f);
    // After a multi-rank all-reduce every row counts as touched: a dense step.
    table.all_touched = true;
    dense.grad.assign(8, 0.0f);
    const std::vector<float> before = table.value;
    sparse_opt.step(0.1f);
    CHECK(table.value != before);
    table.clear_grad();
    CHECK_FALSE(table.all_touched);
  }
}

TEST_CASE("optimizer config: clear usage errors") {
  OptimizerConfig c;
  c.kind = "rmsprop";
  CHECK_THROWS_WITH(validate(c), "unknown optimizer 'rmsprop' (expected sgd, adam or adamw)");
  c.kind = "sgd";
  c.lr = -1.0f;
  CHECK_THROWS_WITH(validate(c), "--lr must be a positive number");
  c.lr = 0.1f;
  c.momentum = 1.0f;
  CHECK_THROWS_WITH(validate(c), "--momentum must be in [0, 1)");
  c.momentum = std::nanf("");
  CHECK_THROWS_WITH(validate(c), "--momentum must be in [0, 1)");
  c.momentum = 0.9f;
  c.beta1 = 1.0f; // Adam's bias correction would divide by zero: a NaN model
  CHECK_THROWS_WITH(validate(c), "--beta1 must be in [0, 1)");
  c.beta1 = 0.9f;
  c.beta2 = -0.5f;
  CHECK_THROWS_WITH(validate(c), "--beta2 must be in [0, 1)");
  c.beta2 = 0.999f;
  c.weight_decay = -1.0f;
  CHECK_THROWS_WITH(validate(c), "--weight-decay must not be negative");
  c.weight_decay = 0.0f;
  c.gamma = -0.5f;
  CHECK_THROWS_WITH(validate(c), "--lr-gamma must be a positive number");
  c.gamma = 0.5f;
  CHECK_NOTHROW(validate(c));
}
