// engine/unlearn/multidelete.h — the pieces of MultiDelete (multidelete.cpp) that are tested on
// their own. The method itself runs through run_unlearning("multidelete" | "multidelete-no-*").
#pragma once

#include <cstdint>
#include <vector>

#include "graph/csr.h"

namespace lethe::unlearn {

// The modality-decoupling partner items of a forget batch (users[b], items[b]): a permutation π of
// the batch's items such that no (users[b], items[π(b)]) is a pair of `train` (D, U×I, sorted).
// A random permutation (Philox, keyed by seed, epoch, step) is repaired by swaps; a row no swap can
// repair (e.g. a batch made of one user's items) gets an item drawn uniformly from `pool` outside
// the user's train row instead, counted in *fallbacks. Returns the partner item of every row.
std::vector<int32_t> decoupled_items(const std::vector<int32_t>& users, const std::vector<int32_t>& items,
                                     const graph::HostCsr& train, const std::vector<int32_t>& pool, uint64_t seed,
                                     uint32_t epoch, uint32_t step, int64_t* fallbacks = nullptr);

}  // namespace lethe::unlearn
