// Device twins of the text encoders: EmbeddingBag (embedding.cpp) here and
// TransformerEncoder (transformer.cpp) in gpu_transformer.cpp, with the
// kernels in text_kernels.cu and the GEMMs on cuBLAS. Each reads its batch's
// token ids on the host in stage() (checked as the CPU layer checks them)
// and copies them over; the transformer cuts the batch to its longest text
// as the CPU layer does and draws its dropout masks from the host layer's
// stream, so both engines drop the same elements. Embedding tables are
// updated densely by the engine's optimizer (the CPU engine's lazy row
// updates apply to one worker).
#include "runtime/cuda/gpu_layers.h"

#include "runtime/cuda/text_kernels.h"
#include "runtime/transformer.h"

namespace kf::trainer::cuda {
namespace {

// The rows of the table that ids[0, count) name, checked as the CPU layer checks them.
std::vector<int> table_rows(const float* ids, std::size_t count, std::size_t rows) {
  std::vector<int> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = as_int(embedding_row(ids[i], rows));
  return out;
}

class GpuEmbeddingBag : public GpuLayer {
public:
  GpuEmbeddingBag(const nlohmann::json& config, const Shape& in, std::size_t offset)
      : m_rows(config.at("num_embeddings").get<std::size_t>()), m_dim(config.at("embedding_dim").get<int>()),
        m_slots(as_int(in[0])), m_offset(offset) {
    in_size = in[0];
    out_size = static_cast<std::size_t>(m_dim);
  }
  void stage(GpuContext& ctx, const Tensor& x) override {
    upload(m_ids, table_rows(x.ptr(), x.data.size(), m_rows), ctx.stream, "embedding ids");
  }
  void forward(GpuContext& ctx, const float* /*in*/, float* out, int n) override {
    embedding_bag_forward(m_ids.get(), ctx.params + m_offset, out, n, m_slots, m_dim, ctx.stream);
  }
  void backward(GpuContext& ctx, const float* /*in*/, const float* /*out*/, const float* dout, float* /*din*/,
                int n) override {
    check(cudaMemsetAsync(ctx.grads + m_offset, 0, m_rows * static_cast<std::size_t>(m_dim) * sizeof(float),
                          ctx.stream),
          "embedding gradient");
    embedding_bag_backward(m_ids.get(), dout, ctx.grads + m_offset, n, m_slots, m_dim, ctx.stream);
  }

private:
  std::size_t m_rows;
  int m_dim, m_slots;
  std::size_t m_offset;
  DeviceBuffer<int> m_ids;
};

} // namespace

std::unique_ptr<GpuLayer> make_text_twin(Layer& layer, const std::string& type, const Shape& in, std::size_t offset) {
  if (type == "embedding_bag") return std::make_unique<GpuEmbeddingBag>(layer.config(), in, offset);
  if (type == "transformer_encoder") return make_transformer_twin(dynamic_cast<TransformerEncoder&>(layer), in, offset);
  return nullptr;
}

} // namespace kf::trainer::cuda
