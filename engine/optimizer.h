// engine/optimizer.h — Adam over the flat parameter slab (torch.optim.Adam semantics), with
// TRU's optional per-element update mask and per-segment gradient scales (kernels/optim.h).
// The moments are two slabs of the parameters' layout; the step counter and learning rate are
// part of the state a checkpoint saves.
#pragma once

#include "engine/context.h"
#include "engine/params.h"
#include "kernels/optim.h"

namespace lethe {

struct AdamConfig {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
};

class Adam {
 public:
  Adam(const ParamStore& ps, AdamConfig cfg);
  // One update of every parameter from `grad` (a GradSlab's all()); mask (n bytes on the device,
  // or null) and seg (device arrays, or empty) as in kernels/optim.h.
  void step(Ctx& ctx, const ParamStore& ps, const Tensor& grad, const uint8_t* mask = nullptr, SegScale seg = {});
  // The training step applies the update itself, reading t and lr from its device state
  // (engine/step.h: adam_step_at); it counts each such step here, so that steps() and a
  // checkpoint stay right.
  void count_step() { ++t_; }
  // β1, β2, eps, weight decay, lr and the step count as an AdamHp (step = steps()).
  AdamHp hp() const;
  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }
  int64_t steps() const { return t_; }
  const AdamConfig& config() const { return cfg_; }
  Tensor m() const { return m_; }
  Tensor v() const { return v_; }
  // Restores the state (checkpoint resume): moments as raw slab bytes, step count, lr.
  void restore(const std::vector<char>& m_bytes, const std::vector<char>& v_bytes, int64_t steps, double lr);
  std::vector<char> m_bytes() const;
  std::vector<char> v_bytes() const;
  void reset();  // zero moments and step count (a fresh optimizer on the same parameters)

 private:
  AdamConfig cfg_;
  double lr_;
  int64_t t_ = 0;
  Buffer mbuf_, vbuf_;
  Tensor m_, v_;
};

}  // namespace lethe
