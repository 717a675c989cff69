// TrainerOptions::validate.
#include "runtime/options.h"

#include "runtime/error.h"

namespace kf::trainer {

void validate(const TrainerOptions& o) {
  validate(o.optimizer);
  if (o.model.kind != "mlp" && o.model.kind != "cnn" && o.model.kind != "embeddingbag" && o.model.kind != "transformer")
    throw UsageError("unknown --model '" + o.model.kind + "' (expected mlp, cnn, embeddingbag or transformer)");
  if (!(o.model.label_smoothing >= 0.0f && o.model.label_smoothing < 1.0f))
    throw UsageError("--label-smoothing must be in [0, 1)");
  if (o.data.text.max_length < 2) throw UsageError("--max-length must be at least 2");
  if (o.data.vocab.max_size < 16) throw UsageError("--vocab-size must be at least 16");
  if (o.epochs == 0) throw UsageError("--epochs must be at least 1");
  if (o.batch_size == 0) throw UsageError("--batch-size must be at least 1");
  if (o.device != "auto" && o.device != "cpu" && o.device != "gpu")
    throw UsageError("unknown --device '" + o.device + "' (expected auto, cpu or gpu)");
  if (o.output.empty()) throw UsageError("--output must not be empty");
  if (o.rendezvous.timeout.count() <= 0) throw UsageError("--rendezvous-timeout must be positive");
  if (o.rendezvous.collective_timeout.count() <= 0) throw UsageError("--collective-timeout must be positive");
  if (o.sync_batch_norm && !o.model.batch_norm) throw UsageError("--sync-batch-norm needs --batch-norm");
  if (o.sync_batch_norm && o.overlap == "on")
    throw UsageError("--sync-batch-norm all-reduces inside backward, which --overlap-allreduce=on would send gradients "
                     "beside; use --overlap-allreduce=off (auto does)");
}

} // namespace kf::trainer
