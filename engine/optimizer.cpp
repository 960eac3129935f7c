// engine/optimizer.cpp — see optimizer.h.
#include "engine/optimizer.h"

#include "engine/ops.h"

namespace lethe {

Adam::Adam(const ParamStore& ps, AdamConfig cfg)
    : cfg_(cfg),
      lr_(cfg.lr),
      mbuf_(ps.ctx(), static_cast<size_t>(ps.numel()) * dtype_size(ps.dtype())),
      vbuf_(ps.ctx(), static_cast<size_t>(ps.numel()) * dtype_size(ps.dtype())) {
  mbuf_.zero();
  vbuf_.zero();
  m_ = Tensor(mbuf_.data(), ps.dtype(), ps.device(), ps.numel(), 1);
  v_ = Tensor(vbuf_.data(), ps.dtype(), ps.device(), ps.numel(), 1);
}

AdamHp Adam::hp() const {
  AdamHp hp;
  hp.lr = lr_;
  hp.beta1 = cfg_.beta1;
  hp.beta2 = cfg_.beta2;
  hp.eps = cfg_.eps;
  hp.weight_decay = cfg_.weight_decay;
  hp.step = t_;
  return hp;
}

void Adam::step(Ctx& ctx, const ParamStore& ps, const Tensor& grad, const uint8_t* mask, SegScale seg) {
  ++t_;
  ops::adam_step(ctx, ps.slab(), grad, m_, v_, hp(), mask, seg);
}

void Adam::restore(const std::vector<char>& m_bytes, const std::vector<char>& v_bytes, int64_t steps, double lr) {
  LETHE_CHECK(m_bytes.size() == mbuf_.bytes() && v_bytes.size() == vbuf_.bytes(),
              "optimizer state does not match the parameter layout");
  mbuf_.upload(m_bytes.data(), m_bytes.size());
  vbuf_.upload(v_bytes.data(), v_bytes.size());
  t_ = steps;
  lr_ = lr;
}

std::vector<char> Adam::m_bytes() const {
  std::vector<char> b(mbuf_.bytes());
  mbuf_.download(b.data(), b.size());
  return b;
}

std::vector<char> Adam::v_bytes() const {
  std::vector<char> b(vbuf_.bytes());
  vbuf_.download(b.data(), b.size());
  return b;
}

void Adam::reset() {
  mbuf_.zero();
  vbuf_.zero();
  t_ = 0;
  lr_ = cfg_.lr;
}

}  // namespace lethe
