// engine/params.h — the parameter store: one flat slab holds every parameter tensor of a model
// (so an optimizer step, a checksum, ‖Δθ‖, per-branch gradient norms and a checkpoint are each
// one pass over one buffer), plus gradient slabs of the same layout.
// Every tensor carries a branch tag — "id", a modality name ("image", "text", ...) or "shared" —
// and a layer id; TRU reduces gradients by branch and masks updates by layer (docs/TRU.md).
// Tensors start on 16-element boundaries (64 bytes in f32) for vector loads; the padding is
// always zero in both parameters and gradients.
#pragma once

#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/tensor.h"

namespace lethe {

struct ParamInfo {
  std::string name;
  int64_t rows = 0, cols = 0;
  int64_t offset = 0;  // first element in the slab
  std::string branch;
  int branch_id = 0;   // index into ParamStore::branches()
  int layer = 0;       // layer id; tensors of one module share it
  bool trainable = true;  // false: state kept in the slab that no gradient reaches (BN running
                          // statistics); excluded from trainable_elements() and layer sizes
  int64_t numel() const { return rows * cols; }
};

class ParamStore {
 public:
  // The store lives on `owner`'s device and every host round trip goes through its stream.
  ParamStore(Ctx& owner, DType dtype) : owner_(&owner), dev_(owner.device()), dtype_(dtype) {}
  ParamStore(ParamStore&&) = default;
  ParamStore& operator=(ParamStore&&) = default;

  // Declare a tensor (before finalize). Names are unique. Returns its id.
  int add(const std::string& name, int64_t rows, int64_t cols, const std::string& branch, int layer,
          bool trainable = true);
  // Allocate the slab (zero-filled) and the segment offsets.
  void finalize();
  bool finalized() const { return finalized_; }

  Device device() const { return dev_; }
  Ctx& ctx() const { return *owner_; }
  DType dtype() const { return dtype_; }
  int count() const { return static_cast<int>(infos_.size()); }
  int64_t numel() const { return total_; }  // slab length, padding included
  int64_t trainable_elements() const;        // Σ sizes of the trainable tensors, padding excluded
  const ParamInfo& info(int id) const { return infos_.at(static_cast<size_t>(id)); }
  const std::vector<ParamInfo>& infos() const { return infos_; }
  int find(const std::string& name) const;   // −1 if absent
  int id(const std::string& name) const;     // throws if absent
  const std::vector<std::string>& branches() const { return branches_; }

  Tensor value(int id) const;
  Tensor value(const std::string& name) const { return value(id(name)); }
  Tensor slab() const;  // the whole slab as (numel × 1)

  // Segment s = tensor s spans [offsets[s], offsets[s+1]) (trailing padding included), so
  // offsets has count()+1 entries. The device copy is on this store's device.
  const std::vector<int64_t>& offsets() const { return offsets_; }
  const int64_t* offsets_device() const { return static_cast<const int64_t*>(dev_offsets_.data()); }

  // Host round trips of one tensor or of the whole slab (values as double).
  void set(int id, const std::vector<double>& v) const;
  std::vector<double> get(int id) const;
  std::vector<double> slab_to_host() const { return slab().to_host(*owner_); }
  void slab_from_host(const std::vector<double>& v) const { slab().from_host(*owner_, v); }
  // Raw bytes of the slab (checkpoints: bit-exact).
  std::vector<char> slab_bytes() const;
  void set_slab_bytes(const std::vector<char>& b) const;

  // A deep copy (same layout, same values) with the same owner.
  ParamStore clone() const;
  // Same layout (names, shapes, tags) as another store.
  bool same_layout(const ParamStore& o) const;

 private:
  Ctx* owner_;
  Device dev_;
  DType dtype_;
  bool finalized_ = false;
  std::vector<ParamInfo> infos_;
  std::vector<std::string> branches_;
  std::vector<int64_t> offsets_;
  int64_t total_ = 0;
  Buffer slab_, dev_offsets_;
};

// A gradient buffer with the parameter store's layout.
// zero() is deferred: it marks every tensor's gradient "zero pending" on the given context, and a
// tensor is zero-filled only when it is read — all() (the whole slab: optimizers, norms) or
// view(id) (an accumulating writer) — unless a writer that overwrites the whole tensor takes it
// first through view_first(). The backward of a layer whose first gradient contribution is a
// full write (a feature table's dX GEMM) thus skips the fill and the read of its zeros. Every
// reader sees exactly what an eager zero would have given.
class GradSlab {
 public:
  GradSlab() = default;
  explicit GradSlab(const ParamStore& ps);  // zero-filled, on the store's context
  Tensor all() const;          // the whole slab, pending zeros filled first
  int64_t numel() const { return all_.numel(); }
  Tensor view(int id) const;   // one tensor's gradient, its pending zero filled first
  // One tensor's gradient for a writer that overwrites all of it: first = true when its zero was
  // still pending (it no longer is: the caller must write every element); false otherwise (the
  // caller accumulates into it as into view()).
  Tensor view_first(int id, bool& first) const;
  // One tensor's gradient as it is, its zero left pending (for a writer that may or may not
  // write it: it then calls view_first to say it did).
  Tensor raw(int id) const;
  bool pending(int id) const { return pending_.at(static_cast<size_t>(id)) != 0; }
  // The slab from tensor `first` to tensor `last` (inclusive, padding included) as one (n × 1)
  // tensor, their pending zeros filled first.
  Tensor range(int first, int last) const;
  void zero(Ctx& ctx) const;  // stream-ordered on a GPU context (deferred: see above)

 private:
  void flush(size_t id) const;
  std::vector<ParamInfo> infos_;  // the layout (a copy: the store may move)
  Buffer buf_;
  Tensor all_;
  mutable std::vector<uint8_t> pending_;  // per tensor: its zero fill is pending
  mutable size_t npending_ = 0;
  mutable Ctx* ctx_ = nullptr;            // the context of the pending zero fills
};

}  // namespace lethe
