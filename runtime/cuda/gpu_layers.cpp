// Device twins of Dense, Activation, Conv2d and MaxPool2d: cuBLAS GEMMs
// plus the kernels in kernels.cu, with the same layouts and maths as
// layers.cpp and conv.cpp (tests/runtime/gpu/test_gpu_engine.cpp compares them).
#include "runtime/cuda/gpu_layers.h"

#include "runtime/cuda/kernels.h"

#include <optional>
#include <string>

namespace kf::trainer::cuda {

// cuBLAS sees each row-major matrix as its transpose: C^T = op(B)^T op(A)^T.
void gemm(GpuContext& ctx, bool trans_a, bool trans_b, int m, int n, int k, const float* a, const float* b, float* c,
          const char* what) {
  constexpr float one = 1.0f, zero = 0.0f;
  check(cublasSgemm(ctx.cublas, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &one,
                    b, trans_b ? k : n, a, trans_a ? m : k, &zero, c, n),
        what);
}

namespace {

// y = x W^T + b, W [out, in].
class GpuDense : public GpuLayer {
public:
  GpuDense(int in, int out, std::size_t w, std::size_t b) : m_in(in), m_out(out), m_w(w), m_b(b) {
    in_size = static_cast<std::size_t>(in);
    out_size = static_cast<std::size_t>(out);
  }
  void forward(GpuContext& ctx, const float* in, float* out, int n) override {
    gemm(ctx, false, true, n, m_out, m_in, in, ctx.params + m_w, out, "dense forward sgemm");
    add_bias(out, ctx.params + m_b, n, m_out, ctx.stream);
  }
  void backward(GpuContext& ctx, const float* in, const float* /*out*/, const float* dout, float* din, int n) override {
    gemm(ctx, true, false, m_out, m_in, n, dout, in, ctx.grads + m_w, "dense dW sgemm"); // dW = dY^T X
    bias_grad(dout, ctx.grads + m_b, n, m_out, ctx.stream);
    if (din != nullptr) gemm(ctx, false, false, n, m_in, m_out, dout, ctx.params + m_w, din, "dense dX sgemm"); // dX = dY W
  }

private:
  int m_in, m_out;
  std::size_t m_w, m_b;
};

class GpuActivation : public GpuLayer {
public:
  GpuActivation(int kind, std::size_t size) : m_kind(kind) { in_size = out_size = size; }
  void forward(GpuContext& ctx, const float* in, float* out, int n) override {
    activation_forward(m_kind, in, out, n * static_cast<int>(in_size), ctx.stream);
  }
  void backward(GpuContext& ctx, const float* in, const float* out, const float* dout, float* din, int n) override {
    if (din != nullptr) activation_backward(m_kind, in, out, dout, din, n * static_cast<int>(in_size), ctx.stream);
  }

private:
  int m_kind;
};

// Stride 1, "same" zero padding k/2, W [F, C, k, k]: im2col + one GEMM over
// the batch. Without a bias (a BatchNorm follows) when `bias` is empty.
class GpuConv2d : public GpuLayer {
public:
  GpuConv2d(int c, int h, int w, int f, int k, std::size_t weight, std::optional<std::size_t> bias)
      : m_c(c), m_h(h), m_w(w), m_f(f), m_k(k), m_weight(weight), m_bias(bias) {
    in_size = static_cast<std::size_t>(c) * h * w;
    out_size = static_cast<std::size_t>(f) * h * w;
  }
  void forward(GpuContext& ctx, const float* in, float* out, int n) override {
    const int nhw = n * m_h * m_w, ckk = m_c * m_k * m_k;
    m_col.reserve(static_cast<std::size_t>(ckk) * nhw);
    m_tmp.reserve(static_cast<std::size_t>(m_f) * nhw);
    im2col(in, m_col.get(), n, m_c, m_h, m_w, m_k, m_k / 2, ctx.stream);
    gemm(ctx, false, false, m_f, nhw, ckk, ctx.params + m_weight, m_col.get(), m_tmp.get(), "conv forward sgemm");
    conv_output(m_tmp.get(), m_bias ? ctx.params + *m_bias : nullptr, out, n, m_f, m_h * m_w, ctx.stream);
  }
  // Uses the im2col of the forward pass just before (as Conv2d::backward does).
  void backward(GpuContext& ctx, const float* /*in*/, const float* /*out*/, const float* dout, float* din,
                int n) override {
    const int nhw = n * m_h * m_w, ckk = m_c * m_k * m_k;
    conv_output_grad(dout, m_tmp.get(), n, m_f, m_h * m_w, ctx.stream);
    if (m_bias) row_sums(m_tmp.get(), ctx.grads + *m_bias, m_f, nhw, ctx.stream);
    gemm(ctx, false, true, m_f, ckk, nhw, m_tmp.get(), m_col.get(), ctx.grads + m_weight, "conv dW sgemm");
    if (din == nullptr) return;
    gemm(ctx, true, false, ckk, nhw, m_f, ctx.params + m_weight, m_tmp.get(), m_col.get(), "conv dcol sgemm");
    col2im(m_col.get(), din, n, m_c, m_h, m_w, m_k, m_k / 2, ctx.stream);
  }

private:
  int m_c, m_h, m_w, m_f, m_k;
  std::size_t m_weight;
  std::optional<std::size_t> m_bias;
  DeviceBuffer<float> m_col; // [C*k*k, N*H*W]
  DeviceBuffer<float> m_tmp; // [F, N*H*W]
};

class GpuMaxPool2d : public GpuLayer {
public:
  GpuMaxPool2d(int c, int h, int w) : m_c(c), m_h(h), m_w(w) {
    in_size = static_cast<std::size_t>(c) * h * w;
    out_size = static_cast<std::size_t>(c) * (h / 2) * (w / 2);
  }
  void forward(GpuContext& ctx, const float* in, float* out, int n) override {
    m_argmax.reserve(static_cast<std::size_t>(n) * out_size);
    maxpool_forward(in, out, m_argmax.get(), n * m_c, m_h, m_w, ctx.stream);
  }
  void backward(GpuContext& ctx, const float* /*in*/, const float* /*out*/, const float* dout, float* din,
                int n) override {
    if (din != nullptr)
      maxpool_backward(dout, m_argmax.get(), din, n * static_cast<int>(out_size), n * static_cast<int>(in_size),
                       ctx.stream);
  }

private:
  int m_c, m_h, m_w;
  DeviceBuffer<int> m_argmax;
};

int activation_kind(const std::string& type) {
  if (type == "relu") return k_relu;
  if (type == "tanh") return k_tanh;
  return k_sigmoid;
}

bool has_twin(const std::string& type) {
  return type == "dense" || type == "conv2d" || type == "maxpool2d" || type == "flatten" || type == "relu" ||
         type == "tanh" || type == "sigmoid" || type == "batchnorm1d" || type == "batchnorm2d" || type == "dropout" ||
         type == "globalavgpool2d" || type == "embedding_bag" || type == "transformer_encoder";
}

} // namespace

std::string unsupported_layer(Model& model) {
  for (auto& layer : model.layers())
    if (std::string type = layer->config().at("type").get<std::string>(); !has_twin(type)) return type;
  return "";
}

std::vector<std::unique_ptr<GpuLayer>> make_gpu_layers(Model& model) {
  std::vector<std::unique_ptr<GpuLayer>> out;
  Shape shape = model.config().input;
  std::size_t offset = 0;
  for (auto& layer : model.layers()) {
    const std::string type = layer->config().at("type").get<std::string>();
    const std::vector<Param*> params = layer->params();
    const std::size_t w = offset;
    const std::size_t b = params.empty() ? offset : offset + params[0]->value.size();
    for (const Param* p : params) offset += p->value.size();
    if (type == "dense") {
      const Shape& ws = params[0]->shape; // [out, in]
      out.push_back(std::make_unique<GpuDense>(as_int(ws[1]), as_int(ws[0]), w, b));
    } else if (type == "conv2d") {
      const Shape& ws = params[0]->shape; // [F, C, k, k]
      out.push_back(std::make_unique<GpuConv2d>(as_int(shape[0]), as_int(shape[1]), as_int(shape[2]), as_int(ws[0]),
                                                as_int(ws[2]), w, params.size() > 1 ? std::optional(b) : std::nullopt));
    } else if (type == "maxpool2d") {
      out.push_back(std::make_unique<GpuMaxPool2d>(as_int(shape[0]), as_int(shape[1]), as_int(shape[2])));
    } else if (type == "relu" || type == "tanh" || type == "sigmoid") {
      out.push_back(std::make_unique<GpuActivation>(activation_kind(type), numel(shape)));
    } else if (auto twin = make_norm_twin(*layer, type, shape, w)) {
      out.push_back(std::move(twin));
    } else if (auto text = make_text_twin(*layer, type, shape, w)) {
      out.push_back(std::move(text));
    } else if (!has_twin(type)) {
      throw Error("the GPU engine has no '" + type + "' layer");
    } // flatten: the layout is already [N, C*H*W]
    shape = layer->output_shape(shape);
  }
  return out;
}

} // namespace kf::trainer::cuda
