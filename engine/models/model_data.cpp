// engine/models/model_data.cpp — ModelData, the model factory and the shared initialisers.
#include <cmath>

#include "engine/models/model.h"
#include "graph/knn.h"
#include "kernels/philox.h"

namespace lethe {

ModelData::ModelData(Ctx& ctx, const io::Dataset& ds, DType dtype, int knn_k, const std::string& knn_cache_dir)
    : n_users(ds.n_users), n_items(ds.n_items), ctx_(ctx), dtype_(dtype) {
  set_train(ds.train);
  std::vector<int32_t> all(static_cast<size_t>(n_items));
  for (int32_t i = 0; i < n_items; ++i) all[i] = i;
  all_items = OwnedIdx(ctx, all);
  graph::HostCsr none;
  none.rows = n_users;
  none.cols = n_items;
  none.rowptr.assign(static_cast<size_t>(n_users) + 1, 0);
  no_items = DevCsr(ctx, none);
  for (const auto& f : ds.features) {
    LETHE_CHECK(f.rows == n_items, "feature table " + f.modality + " has " + std::to_string(f.rows) +
                                       " rows for " + std::to_string(n_items) + " items");
    ModalityData m;
    m.name = f.modality;
    m.dim = f.cols;
    m.raw = OwnedTensor(ctx, dtype, f.rows, f.cols);
    m.raw.t().from_host(ctx, std::vector<double>(f.data.begin(), f.data.end()));
    if (knn_k > 0) {
      graph::KnnGraph kg = graph::knn_graph(f, knn_k, ctx.is_cuda(), knn_cache_dir);
      m.knn_host = kg.S;
      m.knn = DevCsr(ctx, kg.S);
      m.knn_t = DevCsr(ctx, kg.St);
    }
    mods.push_back(std::move(m));
  }
}

void ModelData::set_train(const io::Interactions& train) {
  graph = graph::build_user_item_graph(n_users, n_items, train);
  adj = DevCsr(ctx_, graph.adj);
  R = DevCsr(ctx_, graph.R);
  Rt = DevCsr(ctx_, graph.Rt);
  train_mask = DevCsr(ctx_, graph.train);
  pool = OwnedIdx(ctx_, graph.pool);
  mig_graph = graph::build_miggt_graph(graph.train);
  mig = DevCsr(ctx_, mig_graph.P);
  mig_t = DevCsr(ctx_, mig_graph.Pt);
  mig_t2a = OwnedIdx(ctx_, mig_graph.t2a);
}

std::vector<double> xavier_uniform(int64_t rows, int64_t cols, uint64_t seed, uint32_t tensor_id) {
  const double a = std::sqrt(6.0 / static_cast<double>(rows + cols));
  std::vector<double> v(static_cast<size_t>(rows * cols));
  const uint64_t stream = rng_stream(RngPurpose::kInit, 0, tensor_id);
  for (size_t i = 0; i < v.size(); ++i) {
    const U32x4 r = philox(seed, stream, i / 4);
    v[i] = (2.0 * u01(r.v[i % 4]) - 1.0) * a;
  }
  return v;
}

std::vector<double> linear_uniform(int64_t rows, int64_t cols, int64_t fan_in, uint64_t seed, uint32_t tensor_id) {
  const double a = 1.0 / std::sqrt(static_cast<double>(fan_in));
  std::vector<double> v(static_cast<size_t>(rows * cols));
  const uint64_t stream = rng_stream(RngPurpose::kInit, 0, tensor_id);
  for (size_t i = 0; i < v.size(); ++i) {
    const U32x4 r = philox(seed, stream, i / 4);
    v[i] = (2.0 * u01(r.v[i % 4]) - 1.0) * a;
  }
  return v;
}

}  // namespace lethe
