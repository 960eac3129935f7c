// kernels/batchnorm.h — batch normalisation over the rows of a matrix (torch.nn.BatchNorm1d on
// an N×C input), for MIG-GT's modality encoders (docs/MODELS.md, "The three backbones"). One column = one channel.
//
// Training mode normalises with the batch statistics and updates the running statistics:
//   mean_c = (1/N) Σ_r X[r,c],  var_c = (1/N) Σ_r (X[r,c] − mean_c)²   (biased, two passes)
//   invstd_c = 1/√(var_c + eps),  Y[r,c] = gamma_c · (X[r,c] − mean_c)·invstd_c + beta_c
//   running_mean ← (1−momentum)·running_mean + momentum·mean
//   running_var  ← (1−momentum)·running_var  + momentum·var·N/(N−1)   (unbiased, as torch)
// Training mode needs N ≥ 2 (torch refuses one value per channel too). The running-statistics
// vectors may be empty (no update).
// Evaluation mode normalises with the running statistics: mean = running_mean,
// invstd = 1/√(running_var + eps); both are written out so that one backward serves both modes.
//
// Backward (accumulating; any of dX, dgamma, dbeta may be empty), with x̂ = (X − mean)·invstd:
//   dbeta_c += Σ_r dY,  dgamma_c += Σ_r dY·x̂
//   batch_stats (training):  dX += gamma·invstd·(dY − (1/N)Σ_r dY − x̂·(1/N)Σ_r dY·x̂)
//   running stats (eval):    dX += gamma·invstd·dY      (mean and invstd are constants)
// No gradient flows into the running statistics: they are statistics, not parameters.
//
// Determinism: every column reduction has a fixed order that depends only on N — in double on
// both devices. CPU: rows in increasing order per column. GPU: the rows are cut into
// nchunks(N) = min(64, ⌈N/256⌉) equal chunks; a block sums one 32-column tile of one chunk (8
// row lanes, each in increasing row order, combined lane 0..7), then one thread per column adds
// the chunk partials in chunk order. Bit-identical run to run; CPU and GPU differ only by the
// summation order (tolerance kTolSum).
#pragma once

#include "kernels/common.h"

namespace lethe {

namespace ref {
// X, Y: N×C; gamma, beta, mean, invstd, running_mean, running_var: C.
template <class T>
void batchnorm_forward_train(Mat<const T> X, Vec<const T> gamma, Vec<const T> beta, T eps, T momentum, Mat<T> Y,
                             Vec<T> mean, Vec<T> invstd, Vec<T> running_mean, Vec<T> running_var);
template <class T>
void batchnorm_forward_eval(Mat<const T> X, Vec<const T> gamma, Vec<const T> beta, Vec<const T> running_mean,
                            Vec<const T> running_var, T eps, Mat<T> Y, Vec<T> mean, Vec<T> invstd);
template <class T>
void batchnorm_backward(Mat<const T> X, Vec<const T> gamma, Vec<const T> mean, Vec<const T> invstd, Mat<const T> dY,
                        bool batch_stats, Mat<T> dX, Vec<T> dgamma, Vec<T> dbeta);
}  // namespace ref

namespace cuda {
// The training forward and the backward need g.scratch (column partials, 2·64·C doubles + C).
void batchnorm_forward_train(Mat<const float> X, Vec<const float> gamma, Vec<const float> beta, float eps,
                             float momentum, Mat<float> Y, Vec<float> mean, Vec<float> invstd,
                             Vec<float> running_mean, Vec<float> running_var, const GpuExec& g);
void batchnorm_forward_eval(Mat<const float> X, Vec<const float> gamma, Vec<const float> beta,
                            Vec<const float> running_mean, Vec<const float> running_var, float eps, Mat<float> Y,
                            Vec<float> mean, Vec<float> invstd, const GpuExec& g);
void batchnorm_backward(Mat<const float> X, Vec<const float> gamma, Vec<const float> mean, Vec<const float> invstd,
                        Mat<const float> dY, bool batch_stats, Mat<float> dX, Vec<float> dgamma, Vec<float> dbeta,
                        const GpuExec& g);
}  // namespace cuda
}  // namespace lethe
