// engine/run_files.cpp — see run_files.h.
#include "engine/run_files.h"

namespace lethe {

io::Json metrics_json(const Metrics& m) {
  io::Json j = io::Json::object();
  for (const auto& [k, v] : m.v)
    if (k.rfind("hits@", 0) != 0 && k.rfind("pairs@", 0) != 0) j[k] = v;
  j["users"] = m.users;
  return j;
}

void write_train_metrics(const std::string& path, const std::string& model, const std::string& dataset,
                         const TrainResult& res, const std::string& device, int64_t parameters,
                         const RunMeta* meta) {
  io::Json m = io::Json::object();
  m["model"] = model;
  m["dataset"] = dataset;
  m["best_epoch"] = res.best_epoch + 1;
  m["epochs_run"] = res.epochs_run;
  m["early_stopped"] = res.early_stopped;
  m["valid"] = metrics_json(res.valid);
  m["test"] = metrics_json(res.test);
  m["train_seconds"] = res.train_seconds;
  m["device"] = device;
  m["parameters"] = parameters;
  if (meta) meta->put(m);
  io::write_json(path, m);
}

}  // namespace lethe
