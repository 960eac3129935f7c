// graph/knn_cache.cpp — the on-disk cache of kNN graphs (see knn.h). One file per
// (modality, k, content hash), in the project's checkpoint container (io/checkpoint.h: atomic
// write, checksum-verified read), holding the normalised CSR. A file that fails to read or whose
// metadata does not match is rebuilt and replaced, never trusted.
#include <cstdio>
#include <cstdlib>

#include "graph/knn.h"
#include "io/checkpoint.h"
#include "io/fs.h"
#include "io/hash.h"

namespace lethe::graph {

namespace {

uint64_t feature_hash(const io::FeatureTable& f) {
  io::Hasher h(0x4B4E4E);
  h.update_str(f.modality);
  h.update_pod(f.rows);
  h.update_pod(f.cols);
  h.update(f.data.data(), f.data.size() * sizeof(float));
  return h.digest();
}

std::string hex(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

}  // namespace

std::string default_cache_dir(const std::string& data_dir) {
  const std::string local = io::path_join(data_dir, ".lethe-cache");
  if (io::is_directory(local) ? io::dir_writable(local) : io::dir_writable(data_dir)) return local;
  if (const char* e = std::getenv("LETHE_CACHE"); e && *e) return e;
  const std::string name = io::base_name(data_dir.back() == '/' ? data_dir.substr(0, data_dir.size() - 1) : data_dir);
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return io::path_join(io::path_join(x, "lethe"), name);
  if (const char* h = std::getenv("HOME"); h && *h) return io::path_join(io::path_join(h, ".cache/lethe"), name);
  return io::path_join("/tmp/lethe-cache", name);
}

KnnGraph knn_graph(const io::FeatureTable& feat, int k, bool use_gpu, const std::string& cache_dir, bool* rebuilt) {
  const uint64_t hash = feature_hash(feat);
  std::string path;
  if (!cache_dir.empty()) {
    path = io::path_join(cache_dir, "knn_" + feat.modality + "_k" + std::to_string(k) + "_" + hex(hash) + ".bin");
    if (io::is_regular_file(path)) {
      try {
        const io::Checkpoint c = io::read_checkpoint(path);
        if (c.meta_at("kind") == "knn" && c.meta_at("modality") == feat.modality && c.meta_at("k") == std::to_string(k) &&
            c.meta_at("hash") == hex(hash)) {
          KnnGraph g;
          const auto& rp = c.tensor("rowptr");
          g.S.rows = rp.rows - 1;
          g.S.cols = feat.rows;
          g.S.rowptr = c.get<int32_t>("rowptr");
          g.S.col = c.get<int32_t>("col");
          g.S.val = c.get<float>("val");
          validate(g.S, ("kNN cache " + path).c_str());
          LETHE_CHECK(g.S.rows == feat.rows, "kNN cache " + path + " has the wrong number of rows");
          g.St = transpose(g.S);
          if (rebuilt) *rebuilt = false;
          return g;
        }
      } catch (const Error& e) {
        std::fprintf(stderr, "note: ignoring kNN cache %s (%s); rebuilding\n", path.c_str(), e.what());
      }
    }
  }
  KnnGraph g;
  g.S = build_knn(feat, k, use_gpu);
  g.St = transpose(g.S);
  if (rebuilt) *rebuilt = true;
  if (!path.empty()) {
    try {
      io::make_dirs(cache_dir);
      io::Checkpoint c;
      c.meta["kind"] = "knn";
      c.meta["modality"] = feat.modality;
      c.meta["k"] = std::to_string(k);
      c.meta["hash"] = hex(hash);
      c.put("rowptr", static_cast<int64_t>(g.S.rowptr.size()), 1, g.S.rowptr.data());
      c.put("col", g.S.nnz(), 1, g.S.col.data());
      c.put("val", g.S.nnz(), 1, g.S.val.data());
      io::write_checkpoint(path, c);
    } catch (const Error& e) {  // a cache that cannot be written only costs a rebuild next time
      std::fprintf(stderr, "note: could not write the kNN cache %s (%s)\n", path.c_str(), e.what());
    }
  }
  return g;
}

}  // namespace lethe::graph
