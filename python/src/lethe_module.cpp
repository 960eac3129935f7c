// python/src/lethe_module.cpp — lethe._lethe: the nanobind binding of the public facade
// (include/lethe/lethe.h). Arrays cross as NumPy arrays that own a moved C++ vector (no copy);
// lethe::Error becomes lethe.Error (a RuntimeError); long calls (training, unlearning, audits,
// ranking) release the GIL; settings are taken from a dict, a file path or a Settings object.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <utility>

#include "lethe/lethe.h"

namespace nb = nanobind;

namespace {

// A NumPy array that takes ownership of `v` (shape: `shape`, C order).
template <class T>
nb::ndarray<nb::numpy, T> numpy_of(std::vector<T>&& v, std::initializer_list<size_t> shape) {
  auto* heap = new std::vector<T>(std::move(v));
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T>(heap->data(), shape, owner);
}

nb::ndarray<nb::numpy, float> matrix(lethe::Matrix&& m) {
  const size_t r = static_cast<size_t>(m.rows), c = static_cast<size_t>(m.cols);
  return numpy_of(std::move(m.data), {r, c});
}

nb::tuple topk_tuple(lethe::TopK&& t) {
  const size_t n = t.users.size(), k = static_cast<size_t>(t.k);
  return nb::make_tuple(numpy_of(std::move(t.users), {n}), numpy_of(std::move(t.items), {n, k}),
                        numpy_of(std::move(t.scores), {n, k}));
}

// A value as settings text: true/false for booleans, comma-joined lists, str() otherwise.
std::string setting_text(nb::handle v) {
  if (nb::isinstance<nb::bool_>(v)) return nb::cast<bool>(v) ? "true" : "false";
  if (nb::isinstance<nb::list>(v) || nb::isinstance<nb::tuple>(v)) {
    std::string out;
    for (nb::handle e : v) out += (out.empty() ? "" : ",") + setting_text(e);
    return out;
  }
  return nb::cast<std::string>(nb::str(v));
}

// Settings from None, a Settings, a dict {name: value} or a file path (str or os.PathLike).
lethe::Settings settings_of(nb::handle h) {
  if (h.is_none()) return lethe::Settings();
  if (nb::isinstance<lethe::Settings>(h)) return nb::cast<lethe::Settings>(h);
  if (nb::isinstance<nb::dict>(h)) {
    lethe::Settings s;
    for (auto [k, v] : nb::borrow<nb::dict>(h)) s.set(nb::cast<std::string>(nb::str(k)), setting_text(v));
    return s;
  }
  nb::object path = nb::module_::import_("os").attr("fspath")(h);  // str or os.PathLike, else TypeError
  lethe::Settings s;
  s.load(nb::cast<std::string>(path));
  return s;
}

lethe::RunOptions run_options(const std::string& device, bool progress) {
  lethe::RunOptions o;
  o.device = device;
  o.progress = progress;
  return o;
}

}  // namespace

NB_MODULE(_lethe, m) {
  m.doc() = "Lethe: train multimodal recommenders, rank, forget, unlearn and audit (C++ engine).";
  nb::exception<lethe::Error>(m, "Error", PyExc_RuntimeError);

  nb::class_<lethe::Settings>(m, "Settings", "Overrides of the defaults: Lethe's or MMRec's setting names.")
      .def(nb::init<>())
      .def("set", &lethe::Settings::set, nb::arg("key"), nb::arg("value"), nb::rv_policy::reference)
      .def("load", &lethe::Settings::load, nb::arg("path"), nb::rv_policy::reference)
      .def("load_mmrec_dir", &lethe::Settings::load_mmrec_dir, nb::arg("dir"), nb::rv_policy::reference)
      .def("resolved", &lethe::Settings::resolved, nb::arg("model"), nb::arg("dataset_dir") = "")
      .def("notes", &lethe::Settings::notes, nb::arg("model"), nb::arg("dataset_dir") = "");

  nb::class_<lethe::Dataset>(m, "Dataset", "A dataset folder in MMRec's layout (<name>.inter, <modality>_feat.npy).")
      .def(nb::new_([](const std::string& dir) { return lethe::Dataset::open(dir); }), nb::arg("dir"))
      .def_prop_ro("name", &lethe::Dataset::name)
      .def_prop_ro("dir", &lethe::Dataset::dir)
      .def_prop_ro("fingerprint", &lethe::Dataset::fingerprint)
      .def_prop_ro("n_users", &lethe::Dataset::n_users)
      .def_prop_ro("n_items", &lethe::Dataset::n_items)
      .def_prop_ro("modalities", &lethe::Dataset::modalities)
      .def("rows", &lethe::Dataset::rows, nb::arg("split"))
      .def(
          "interactions",
          [](const lethe::Dataset& d, const std::string& split) {
            std::vector<int32_t> u, i;
            d.interactions(split, u, i);
            const size_t n = u.size();
            return nb::make_tuple(numpy_of(std::move(u), {n}), numpy_of(std::move(i), {n}));
          },
          nb::arg("split"), "(users, items) of a split as int32 arrays, in file order");

  m.def(
      "make_synthetic",
      [](const std::string& out, int32_t users, int32_t items, int64_t interactions, const std::string& modalities,
         uint64_t seed, const std::string& name) {
        lethe::SynthOptions o;
        o.users = users;
        o.items = items;
        o.interactions = interactions;
        o.modalities = modalities;
        o.seed = seed;
        o.name = name;
        nb::gil_scoped_release nogil;
        lethe::make_synthetic(out, o);
      },
      nb::arg("out_dir"), nb::arg("users") = 1500, nb::arg("items") = 800, nb::arg("interactions") = 15000,
      nb::arg("modalities") = "image:256,text:64", nb::arg("seed") = 1, nb::arg("name") = "synth",
      "Writes a planted-structure synthetic dataset (what `lethe synth` and the demo make).");

  nb::class_<lethe::ForgetRequest>(m, "ForgetRequest", "What to forget: users, items or interactions.")
      .def_static("make", &lethe::ForgetRequest::make, nb::arg("data"), nb::arg("regime"), nb::arg("ratio") = 0.0,
                  nb::arg("seed") = 1, nb::arg("selection") = "random")
      .def_static("read", &lethe::ForgetRequest::read, nb::arg("data"), nb::arg("path"))
      .def("write", &lethe::ForgetRequest::write, nb::arg("path"))
      .def_prop_ro("regime", &lethe::ForgetRequest::regime)
      .def_prop_ro("users", &lethe::ForgetRequest::users)
      .def_prop_ro("items", &lethe::ForgetRequest::items)
      .def_prop_ro("forget_rows", &lethe::ForgetRequest::forget_rows)
      .def_prop_ro("retain_rows", &lethe::ForgetRequest::retain_rows);

  nb::class_<lethe::Recommender> rec(m, "Recommender", "A trained (or unlearned) backbone on one dataset.");
  rec.def_static(
         "train",
         [](const lethe::Dataset& data, const std::string& model, nb::handle settings, const std::string& device,
            bool progress) {
           const lethe::Settings s = settings_of(settings);
           nb::gil_scoped_release nogil;
           return lethe::Recommender::train(data, model, s, run_options(device, progress));
         },
         nb::arg("data"), nb::arg("model"), nb::arg("settings").none() = nb::none(), nb::arg("device") = "auto",
         nb::arg("progress") = false,
         "Trains a backbone (lightgcn, mgcn, miggt; any case) with the MMRec protocol; the result holds the\n"
         "best-valid epoch, like `lethe train`'s RUN/checkpoint. settings: a dict, a settings file or None.")
      .def_static(
          "load",
          [](const lethe::Dataset& data, const std::string& checkpoint, const lethe::ForgetRequest* request,
             const std::string& device) {
            nb::gil_scoped_release nogil;
            return request ? lethe::Recommender::load(data, checkpoint, *request, run_options(device, false))
                           : lethe::Recommender::load(data, checkpoint, run_options(device, false));
          },
          nb::arg("data"), nb::arg("checkpoint"), nb::arg("request").none() = nb::none(), nb::arg("device") = "auto",
          "A checkpoint of `lethe train` / `lethe unlearn` (give the request for an unlearned model).")
      .def("save", &lethe::Recommender::save, nb::arg("path"))
      .def_prop_ro("model", &lethe::Recommender::model)
      .def_prop_ro("settings", &lethe::Recommender::settings)
      .def_prop_ro("settings_hash", &lethe::Recommender::settings_hash)
      .def_prop_ro("training_summary", &lethe::Recommender::training_summary)
      .def("user_embeddings", [](const lethe::Recommender& r) { return matrix(r.user_embeddings()); },
           "U × d float32 array")
      .def("item_embeddings", [](const lethe::Recommender& r) { return matrix(r.item_embeddings()); },
           "I × d float32 array")
      .def(
          "top_k",
          [](const lethe::Recommender& r, int k, const std::vector<int32_t>& users) {
            lethe::TopK t;
            {
              nb::gil_scoped_release nogil;
              t = r.top_k(k, users);
            }
            return topk_tuple(std::move(t));
          },
          nb::arg("k") = 20, nb::arg("users") = std::vector<int32_t>{},
          "(users, items, scores): int32 (n,), int32 (n, k), float32 (n, k); train items masked")
      .def("evaluate", &lethe::Recommender::evaluate, nb::arg("split") = "test",
           nb::arg("ks") = std::vector<int64_t>{10, 20, 50}, nb::arg("filter_cold_users") = true,
           nb::call_guard<nb::gil_scoped_release>())
      .def(
          "unlearn",
          [](const lethe::Recommender& r, const lethe::ForgetRequest& req, const std::string& method,
             nb::handle settings, uint64_t seed) {
            const lethe::Settings s = settings_of(settings);
            nb::gil_scoped_release nogil;
            return r.unlearn(req, method, s, seed);
          },
          nb::arg("request"), nb::arg("method"), nb::arg("settings").none() = nb::none(), nb::arg("seed") = 1,
          "Unlearns a request with any method `lethe unlearn --method` takes (retrain, finetune, neggrad, mmrecun,\n"
          "tru, tru-auto, their ablations, ...); settings (a dict, a file or None) add unlearning settings.")
      .def(
          "audit",
          [](const lethe::Recommender& r, const lethe::Recommender& unlearned, const lethe::ForgetRequest& req,
             const lethe::Recommender* retrained) {
            lethe::AuditReport a;
            {
              nb::gil_scoped_release nogil;
              a = r.audit(unlearned, req, retrained);
            }
            nb::dict d;
            d["retain"] = a.retain;
            d["forget"] = a.forget;
            d["exposure"] = a.exposure;
            d["exposure_reduction"] = a.exposure_reduction;
            d["overlap_with_retrain"] = a.overlap_with_retrain;
            return d;
          },
          nb::arg("unlearned"), nb::arg("request"), nb::arg("retrained").none() = nb::none());

  nb::class_<lethe::Unlearned>(m, "Unlearned", "The result of Recommender.unlearn.")
      .def_ro("model", &lethe::Unlearned::model)
      .def_ro("method", &lethe::Unlearned::method)
      .def_ro("seconds", &lethe::Unlearned::seconds)
      .def_ro("epochs", &lethe::Unlearned::epochs)
      .def_ro("selected_layers", &lethe::Unlearned::selected_layers);

  m.attr("__version__") = lethe::version();
  m.attr("git_commit") = lethe::git_commit();
}
