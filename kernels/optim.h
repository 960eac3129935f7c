// kernels/optim.h — optimizer steps over the flat parameter slab (docs/MODELS.md, "Training"; docs/TRU.md).
// Adam follows torch.optim.Adam (L2 weight decay added to the gradient, bias-corrected moments).
// Two optional controls serve TRU's targeted updates:
//   mask  (n bytes, 0/1): elements with mask 0 are left untouched — parameter AND moments;
//   seg   per-segment gradient scale: element e of segment s (offsets[s] ≤ e < offsets[s+1])
//         has its gradient multiplied by scale[s] before the update.
// grad_combine builds TRU's update direction  g = mask ⊙ segscale ⊙ g_forget + g_retain.
#pragma once

#include "kernels/common.h"

namespace lethe {

struct StepState;  // kernels/step.h

struct AdamHp {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  int64_t step = 1;  // t ≥ 1, for the bias corrections 1 − β^t
};

// Per-segment scales; offsets has nseg+1 entries. Empty (nseg = 0 / null pointers) = scale 1.
// For cuda:: calls both arrays are device pointers.
struct SegScale {
  const int64_t* offsets = nullptr;
  const float* scale = nullptr;
  int64_t nseg = 0;
};

namespace ref {
template <class T>
void adam_step(T* p, const T* g, T* m, T* v, int64_t n, const AdamHp& hp, const uint8_t* mask, SegScale seg);
// Adam over [0, n) whose learning rate and bias corrections come from the step state in memory
// (st->step_size = lr / (1 − β1^t) and st->bc2_sqrt = sqrt(1 − β2^t), set by step_begin:
// kernels/step.h); hp gives β1, β2, eps and weight decay (its lr and step are not read). Bit for
// bit adam_step with hp.lr = st->lr and hp.step = st->adam_t, no mask, no segment scales. The
// training step uses it so that a step captured as a CUDA graph replays with the next step's t.
template <class T>
void adam_step_at(T* p, const T* g, T* m, T* v, int64_t n, const StepState* st, const AdamHp& hp);
// adam_step_at applied to the table P (N×in) with the gradient G = dY·Wᵀ (dY N×out, W in×out)
// computed as part of the update — a linear layer's dX product, when it is the whole gradient of a
// trainable input table (the trainer's feature tables): the 8 bytes an element of storing G and
// reading it back are saved. M, V: P's moments (N×in). G (N×in) is scratch for the reference's
// plain path: on a CPU with AVX-512 and out ≤ 256 the product is applied as it is computed
// (ref::sgemm_adam, bit for bit the stored product followed by Adam); otherwise G receives the
// product and adam_step_at runs over it. Returns whether G was written. Element (r, c) of the
// product is Σ_k dY[r, k]·W[c, k] accumulated by fused multiply-adds in k order from zero — the
// CPU GEMM's order for out ≤ 256.
template <class T>
bool gemm_adam_at(Mat<const T> dY, Mat<const T> W, Mat<T> P, Mat<T> M, Mat<T> V, const StepState* st, const AdamHp& hp,
                  Mat<T> G);
// p -= lr · (segscale ⊙ g), skipping masked-out elements.
template <class T>
void sgd_step(T* p, const T* g, int64_t n, double lr, const uint8_t* mask, SegScale seg);
// out = mask ⊙ segscale ⊙ gf + gr   (gr null: 0; mask null: 1; out may alias gf or gr)
template <class T>
void grad_combine(T* out, const T* gf, const T* gr, int64_t n, const uint8_t* mask, SegScale seg);
}  // namespace ref

namespace cuda {
void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamHp& hp, const uint8_t* mask,
               SegScale seg, const GpuExec& gx);
// st on the device.
void adam_step_at(float* p, const float* g, float* m, float* v, int64_t n, const StepState* st, const AdamHp& hp,
                  const GpuExec& gx);
// One kernel: 128 × 64 tiles of the product in registers, then Adam on them; never writes G.
void gemm_adam_at(Mat<const float> dY, Mat<const float> W, Mat<float> P, Mat<float> M, Mat<float> V,
                  const StepState* st, const AdamHp& hp, const GpuExec& gx);
void sgd_step(float* p, const float* g, int64_t n, double lr, const uint8_t* mask, SegScale seg, const GpuExec& gx);
void grad_combine(float* out, const float* gf, const float* gr, int64_t n, const uint8_t* mask, SegScale seg,
                  const GpuExec& gx);
}  // namespace cuda
}  // namespace lethe
