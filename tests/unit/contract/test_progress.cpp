#include <doctest/doctest.h>

#include "contract/progress.h"

using namespace kf::contract;

TEST_CASE("contract: a metrics line is printed and read back the same") {
  const MetricsLine m{3, {{"loss", 0.28414}, {"accuracy", 0.8955}, {"test_loss", 0.3101}}};
  const std::string line = format_metrics_line(m);
  CHECK(line == "epoch=3 loss=0.2841 accuracy=0.8955 test_loss=0.3101");
  const auto back = parse_metrics_line(line);
  REQUIRE(back);
  CHECK(back->epoch == 3);
  REQUIRE(back->values.size() == 3);
  CHECK(back->values[0].first == "loss");
  CHECK(back->values[0].second == doctest::Approx(0.2841));
  CHECK(back->values[2].first == "test_loss");
}

TEST_CASE("contract: what is not a metrics line") {
  CHECK_FALSE(parse_metrics_line("loss=1 epoch=2"));   // epoch first
  CHECK_FALSE(parse_metrics_line("epoch=x loss=1"));   // numbers only
  CHECK_FALSE(parse_metrics_line("epoch=1 loss"));     // name=number words only
  CHECK_FALSE(parse_metrics_line("epoch=1 loss="));
  CHECK_FALSE(parse_metrics_line("epoch=1 =0.5"));
  CHECK_FALSE(parse_metrics_line("epochs=1 loss=2"));
  CHECK_FALSE(parse_metrics_line(""));
  const auto only_epoch = parse_metrics_line("epoch=7");
  REQUIRE(only_epoch);
  CHECK(only_epoch->values.empty());
}

TEST_CASE("contract: a progress line is printed and read back the same") {
  ProgressLine p;
  p.rank = 0;
  p.world = 2;
  p.epoch = 2;
  p.epochs = 5;
  p.step = 120;
  p.steps = 469;
  p.loss = 0.312;
  p.lr = 0.001;
  p.samples_per_second = 5230.4;
  const std::string line = format_progress_line(p);
  CHECK(line == "kf-trainer[0/2]: epoch 2/5 step 120/469 loss 0.3120 lr 0.001 5230 samples/s");
  const auto back = parse_progress_line(line);
  REQUIRE(back);
  CHECK(back->world == 2);
  CHECK(back->epoch == 2);
  CHECK(back->epochs == 5);
  CHECK(back->step == 120);
  CHECK(back->steps == 469);
  CHECK(back->loss == doctest::Approx(0.312));
  CHECK(back->samples_per_second == doctest::Approx(5230));
  CHECK_FALSE(parse_progress_line("kf-trainer[0/2]: starting"));
  CHECK_FALSE(parse_progress_line(line + " and more"));
  CHECK_FALSE(parse_progress_line("epoch 2/5 step 120/469 loss 0.3120 lr 0.001 5230 samples/s"));
}
