#pragma once
// TransformerEncoder: the text encoder of model "transformer", a Layer from
// rows of token ids [N, L] (runtime/text.h: [CLS], WordPiece ids, 0 for
// padding) to one vector per text [N, dim]:
//   x = dropout(token_embedding[id] + position_embedding[t])
//   per block (pre-LayerNorm, as torch's norm_first=True):
//     x = x + dropout(out_proj(attention(norm1(x))))
//     x = x + dropout(linear2(gelu(linear1(norm2(x)))))
//   z = norm(x); out = the mean of z over the non-padding positions
//   (pooling "mean") or z at position 0, the [CLS] token (pooling "cls"),
//   plus, when the rows carry hashed features after the token slots
//   (hash_slots > 0: word bigrams and character n-grams, runtime/text.h),
//   the mean of their rows of the same embedding table, as fastText.
// Padding keys are masked out of the attention. A batch is cut to its
// longest text, so short texts cost little. Dropout applies only between
// set_training(true) and set_training(false). Parameter names follow
// torch's (blocks.0.attn.in_proj_weight, ...), shapes [out, in].

#include "runtime/layers.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kf::trainer {

struct TransformerConfig {
  std::size_t rows = 0;      // token embedding rows (the vocabulary)
  std::size_t positions = 0; // token slots per text (--max-length)
  std::size_t hash_slots = 0; // hashed-feature slots after them (--hash-slots; rows include --hash-buckets)
  std::size_t dim = 128;     // --embedding-dim
  std::size_t heads = 4;     // --heads; dim % heads == 0
  std::size_t layers = 2;    // --encoder-layers
  std::size_t ffn = 512;     // --ffn-dim
  float dropout = 0.1f;      // --dropout
  std::string pooling = "mean"; // --pooling: mean | cls
};

void validate(const TransformerConfig& c); // throws UsageError

class TransformerEncoder : public Layer {
public:
  TransformerEncoder(const TransformerConfig& config, const std::string& prefix, Rng& rng);
  Shape output_shape(const Shape& in) const override;
  void forward(const Tensor& in, Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) override;
  std::vector<Param*> params() override;
  nlohmann::json config() const override;
  double flops_per_sample() const override;
  void set_training(bool training) override { m_training = training; }
  void freeze() override; // the blocks' four projections keep W^T

  const TransformerConfig& settings() const { return m_c; }
  // The next dropout mask of n elements (0 or 1 / (1 - p)) from the layer's
  // own stream, as forward draws them: the embeddings' mask, then each
  // block's two. The GPU twin draws its masks here, so both engines drop the
  // same elements.
  void draw_mask(std::vector<float>& mask, std::size_t n);

private:
  struct Block {
    Param norm1_w, norm1_b, in_w, in_b, out_w, out_b, norm2_w, norm2_b, lin1_w, lin1_b, lin2_w, lin2_b;
    // What forward saves for backward ([rows, width] unless noted).
    std::vector<float> h1, mean1, rstd1, qkv, probs /* [N, heads, T, T] */, ctx, drop1, mid;
    std::vector<float> h2, mean2, rstd2, f1, g, drop2;
    Block(const std::string& prefix, const TransformerConfig& c, Rng& rng);
  };
  void embed(const Tensor& in);
  void add_bag(Tensor& out) const;
  void block_forward(Block& b, const std::vector<float>& x, std::vector<float>& y);
  // dx: in, the gradient at the block's output; out, at its input.
  void block_backward(Block& b, const std::vector<float>& x, std::vector<float>& dx);
  void dropout(float* x, std::vector<float>& mask, std::size_t n);

  TransformerConfig m_c;
  std::string m_prefix; // of the parameter names
  bool m_cls;           // pooling "cls" (else "mean")
  Param m_token, m_position, m_norm_w, m_norm_b;
  std::vector<Block> m_blocks;
  Rng m_rng;
  bool m_training = false;
  bool m_dropped = false; // dropout was applied in the last forward

  // The last forward batch: n texts cut to t positions, rows = n * t.
  std::size_t m_n = 0, m_t = 0;
  std::vector<std::size_t> m_ids;      // [rows] token id of each row
  std::vector<std::uint8_t> m_keep;    // [rows] not padding
  std::vector<float> m_count;          // [n] non-padding positions per text
  std::vector<std::size_t> m_bag;      // [n * hash_slots] hashed feature rows (0 = none)
  std::vector<float> m_bag_count;      // [n] hashed features per text
  std::vector<std::vector<float>> m_x; // block inputs; m_x[layers] is the last block's output
  std::vector<float> m_drop0, m_z, m_mean, m_rstd;
  std::vector<float> m_dx, m_dtmp, m_dwide, m_dqkv, m_scratch, m_scores; // backward scratch
};

} // namespace kf::trainer
