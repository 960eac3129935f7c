// engine/ops_miggt.cpp — device dispatch for the MIG-GT section of engine/ops.h: batch norm,
// block attention and its sampled rows, the TUR loss, edge dropout. Same contract as ops.cpp:
// every defined operand must live on the context's device with one dtype; a CPU context runs
// lethe::ref in f32 or f64, a CUDA context lethe::cuda in f32.
// The dispatch helpers are shared with ops.cpp through engine/ops_dispatch.h.
#include <string>
#include <type_traits>

#include "engine/ops.h"
#include "engine/ops_dispatch.h"
#include "kernels/attention.h"
#include "kernels/batchnorm.h"
#include "kernels/edgedrop.h"
#include "kernels/tur.h"

namespace lethe::ops {

using namespace detail;  // NOLINT: the dispatch helpers of ops_dispatch.h
using prof::acc;
using prof::idx_bytes;
using prof::nb;
using prof::ne;

void batchnorm_forward_train(Ctx& c, const Tensor& X, const Tensor& gamma, const Tensor& beta, double eps,
                             double momentum, const Tensor& Y, const Tensor& mean, const Tensor& invstd,
                             const Tensor& running_mean, const Tensor& running_var) {
  const char* op = "batchnorm_forward_train";
  LETHE_OPS_COST(8 * ne(X),
                 2 * nb(X) + nb(Y) + nb(gamma) + nb(beta) + nb(mean) + nb(invstd) + acc(running_mean) +
                     acc(running_var));
  LETHE_OPS_SCOPE(op);
  const DType dt = check_on(c, op, {&X, &gamma, &beta, &Y, &mean, &invstd, &running_mean, &running_var});
  dispatch(c, dt, op, [&](auto t, auto d) {
    using T = decltype(t);
    (void)sizeof(T);
    if constexpr (is_cpu<decltype(d)>)
      ref::batchnorm_forward_train<T>(X.cmat<T>(), gamma.cvec<T>(), beta.cvec<T>(), T(eps), T(momentum), Y.mat<T>(),
                                      mean.vec<T>(), invstd.vec<T>(), ov<T>(running_mean), ov<T>(running_var));
    else
      cuda::batchnorm_forward_train(X.cmat<float>(), gamma.cvec<float>(), beta.cvec<float>(), float(eps),
                                    float(momentum), Y.mat<float>(), mean.vec<float>(), invstd.vec<float>(),
                                    ov<float>(running_mean), ov<float>(running_var), c.exec());
  });
}

void batchnorm_forward_eval(Ctx& c, const Tensor& X, const Tensor& gamma, const Tensor& beta,
                            const Tensor& running_mean, const Tensor& running_var, double eps, const Tensor& Y,
                            const Tensor& mean, const Tensor& invstd) {
  const char* op = "batchnorm_forward_eval";
  LETHE_OPS_COST(4 * ne(X),
                 nb(X) + nb(Y) + nb(gamma) + nb(beta) + nb(running_mean) + nb(running_var) + nb(mean) + nb(invstd));
  LETHE_OPS_SCOPE(op);
  const DType dt = check_on(c, op, {&X, &gamma, &beta, &running_mean, &running_var, &Y, &mean, &invstd});
  dispatch(c, dt, op, [&](auto t, auto d) {
    using T = decltype(t);
    (void)sizeof(T);
    if constexpr (is_cpu<decltype(d)>)
      ref::batchnorm_forward_eval<T>(X.cmat<T>(), gamma.cvec<T>(), beta.cvec<T>(), running_mean.cvec<T>(),
                                     running_var.cvec<T>(), T(eps), Y.mat<T>(), mean.vec<T>(), invstd.vec<T>());
    else
      cuda::batchnorm_forward_eval(X.cmat<float>(), gamma.cvec<float>(), beta.cvec<float>(),
                                   running_mean.cvec<float>(), running_var.cvec<float>(), float(eps), Y.mat<float>(),
                                   mean.vec<float>(), invstd.vec<float>(), c.exec());
  });
}

void batchnorm_backward(Ctx& c, const Tensor& X, const Tensor& gamma, const Tensor& mean, const Tensor& invstd,
                        const Tensor& dY, bool batch_stats, const Tensor& dX, const Tensor& dgamma,
                        const Tensor& dbeta) {
  const char* op = "batchnorm_backward";
  LETHE_OPS_COST(10 * ne(X), 2 * (nb(X) + nb(dY)) + acc(dX) + acc(dgamma) + acc(dbeta));
  LETHE_OPS_SCOPE(op);
  const DType dt = check_on(c, op, {&X, &gamma, &mean, &invstd, &dY, &dX, &dgamma, &dbeta});
  dispatch(c, dt, op, [&](auto t, auto d) {
    using T = decltype(t);
    (void)sizeof(T);
    if constexpr (is_cpu<decltype(d)>)
      ref::batchnorm_backward<T>(X.cmat<T>(), gamma.cvec<T>(), mean.cvec<T>(), invstd.cvec<T>(), dY.cmat<T>(),
                                 batch_stats, om<T>(dX), ov<T>(dgamma), ov<T>(dbeta));
    else
      cuda::batchnorm_backward(X.cmat<float>(), gamma.cvec<float>(), mean.cvec<float>(), invstd.cvec<float>(),
                               dY.cmat<float>(), batch_stats, om<float>(dX), ov<float>(dgamma), ov<float>(dbeta),
                               c.exec());
  });
}

void block_attention_forward(Ctx& c, const Tensor& Q, const Tensor& K, const Tensor& V, int64_t L, double scale,
                             double c_att, double c_res, const Tensor& O, const Tensor& P) {
  const char* op = "block_attention_forward";
  LETHE_OPS_MATRIX_COST(2.0 * double(Q.rows) * double(L) * double(Q.cols + V.cols) + 5.0 * ne(P) + 2 * ne(O),
                        nb(Q) + nb(K) + nb(V) + nb(O) + nb(P));
  LETHE_OPS_SCOPE(op);
  const DType dt = check_on(c, op, {&Q, &K, &V, &O, &P});
  dispatch(c, dt, op, [&](auto t, auto d) {
    using T = decltype(t);
    (void)sizeof(T);
    if constexpr (is_cpu<decltype(d)>)
      ref::block_attention_forward<T>(Q.cmat<T>(), K.cmat<T>(), V.cmat<T>(), L, T(scale), T(c_att), T(c_res),
                                      O.mat<T>(), P.mat<T>());
    else
      cuda::block_attention_forward(Q.cmat<float>(), K.cmat<float>(), V.cmat<float>(), L, float(scale), float(c_att),
                                    float(c_res), O.mat<float>(), P.mat<float>(), c.exec());
  });
}

void block_attention_backward(Ctx& c, const Tensor& Q, const Tensor& K, const Tensor& V, const Tensor& P,
                              const Tensor& dO, int64_t L, double scale, double c_att, double c_res, const Tensor& dQ,
                              const Tensor& dK, const Tensor& dV) {
  const char* op = "block_attention_backward";
  LETHE_OPS_MATRIX_COST(4.0 * double(Q.rows) * double(L) * double(Q.cols + V.cols) + 5.0 * ne(P) + 2 * ne(dO),
                        nb(Q) + nb(K) + nb(V) + nb(P) + nb(dO) + acc(dQ) + acc(dK) + acc(dV));
  LETHE_OPS_SCOPE(op);
  const DType dt = check_on(c, op, {&Q, &K, &V, &P, &dO, &dQ, &dK, &dV});
  dispatch(c, dt, op, [&](auto t, auto d) {
    using T = decltype(t);
    (void)sizeof(T);
    if constexpr (is_cpu<decltype(d)>)
      ref::block_attention_backward<T>(Q.cmat<T>(), K.cmat<T>(), V.cmat<T>(), P.cmat<T>(), dO.cmat<T>(), L, T(scale),
                                       T(c_att), T(c_res), om<T>(dQ), om<T>(dK), om<T>(dV));
    else
      cuda::block_attention_backward(Q.cmat<float>(), K.cmat<float>(), V.cmat<float>(), P.cmat<float>(),
                                     dO.cmat<float>(), L, float(scale), float(c_att), float(c_res), om<float>(dQ),
                                     om<float>(dK), om<float>(dV), c.exec());
  });
}

void attn_sample_indices(Ctx& c, uint64_t seed, uint64_t stream, int32_t lo, int32_t count, int64_t N, int64_t L,
                         const IdxTensor& out) {
  check_idx(c, "attn_sample_indices", out);
  LETHE_CHECK(out.n == N * L, "attn_sample_indices: out has " + std::to_string(out.n) + " entries for " +
                                  std::to_string(N) + " x " + std::to_string(L));
  Mat<int32_t> o(out.data, N, L);
  LETHE_OPS_COST(4.0 * double(out.n), idx_bytes(out.n));
  LETHE_OPS_SCOPE("attn_sample_indices");
  if (c.is_cuda()) cuda::attn_sample_indices(seed, stream, lo, count, o, c.exec());
  else ref::attn_sample_indices(seed, stream, lo, count, o);
}

void tur_forward(Ctx& c, const Tensor& U, const Tensor& Ob, int64_t L, double scale, const Tensor& P,
                 const Tensor& ce, const Tensor& loss) {
  const char* op = "tur_forward";
  LETHE_OPS_COST(2.0 * ne(Ob) + 5 * ne(P), nb(U) + nb(Ob) + nb(P) + nb(ce) + nb(loss));
  LETHE_OPS_SCOPE(op);
  const DType dt = check_on(c, op, {&U, &Ob, &P, &ce, &loss});
  LETHE_CHECK(loss.numel() == 1, "tur_forward: loss must be 1x1");
  dispatch(c, dt, op, [&](auto t, auto d) {
    using T = decltype(t);
    (void)sizeof(T);
    if constexpr (is_cpu<decltype(d)>)
      ref::tur_forward<T>(U.cmat<T>(), Ob.cmat<T>(), L, T(scale), P.mat<T>(), ce.vec<T>(), loss.ptr<T>());
    else
      cuda::tur_forward(U.cmat<float>(), Ob.cmat<float>(), L, float(scale), P.mat<float>(), ce.vec<float>(),
                        loss.ptr<float>(), c.exec());
  });
}

void tur_backward(Ctx& c, const Tensor& U, const Tensor& Ob, int64_t L, double scale, const Tensor& P,
                  const Tensor& dloss, const Tensor& dU, const Tensor& dOb) {
  const char* op = "tur_backward";
  LETHE_OPS_COST(4.0 * ne(Ob) + 3 * ne(P), nb(U) + nb(Ob) + nb(P) + acc(dU) + acc(dOb));
  LETHE_OPS_SCOPE(op);
  const DType dt = check_on(c, op, {&U, &Ob, &P, &dloss, &dU, &dOb});
  dispatch(c, dt, op, [&](auto t, auto d) {
    using T = decltype(t);
    (void)sizeof(T);
    if constexpr (is_cpu<decltype(d)>)
      ref::tur_backward<T>(U.cmat<T>(), Ob.cmat<T>(), L, T(scale), P.cmat<T>(), dloss.ptr<T>(), om<T>(dU), om<T>(dOb));
    else
      cuda::tur_backward(U.cmat<float>(), Ob.cmat<float>(), L, float(scale), P.cmat<float>(), dloss.ptr<float>(),
                         om<float>(dU), om<float>(dOb), c.exec());
  });
}

void edge_dropout(Ctx& c, const float* val, const int32_t* ids, int64_t nnz, double p, uint64_t seed,
                  uint64_t stream, float* out) {
  const Vec<const float> v(val, nnz);
  const Vec<const int32_t> id(ids, ids ? nnz : 0);
  const Vec<float> o(out, nnz);
  LETHE_OPS_COST(2.0 * double(nnz), 8.0 * double(nnz) + (ids ? 4.0 * double(nnz) : 0.0));
  LETHE_OPS_SCOPE("edge_dropout");
  if (c.is_cuda()) cuda::edge_dropout(v, id, float(p), seed, stream, o, c.exec());
  else ref::edge_dropout<float>(v, id, float(p), seed, stream, o);
}

}  // namespace lethe::ops
