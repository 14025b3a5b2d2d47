// The `shardfit` Python module: the library's API with the tool's JSON shapes as plain dicts.
//
// Every result goes through the library's own JSON adapter (one schema for the tool, C++ and
// Python) and every input through its readers (a request or cluster dict is read by the same
// `from_json` as a JSON file, with the same checks and messages). The GIL is released while
// files are read and while planning; a Python scorer or progress callback takes it back.

#include <shardfit/estimate/parallelism.hpp>
#include <shardfit/files/discover.hpp>
#include <shardfit/formats/verify.hpp>
#include <shardfit/json.hpp>
#include <shardfit/model/load.hpp>
#include <shardfit/plan/launch.hpp>
#include <shardfit/plan/planner.hpp>
#include <shardfit/reshard/reshard.hpp>
#include <shardfit/version.hpp>

#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;
using json = nlohmann::ordered_json;

namespace {

// Nesting deeper than this in a dict from Python is refused (a cluster is 4 levels deep).
constexpr int max_depth = 64;

py::object to_py(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return py::none();
    case json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case json::value_t::number_unsigned:
      return py::int_(j.get<std::uint64_t>());
    case json::value_t::number_integer:
      return py::int_(j.get<std::int64_t>());
    case json::value_t::number_float:
      return py::float_(j.get<double>());
    case json::value_t::string:
      return py::str(j.get_ref<const std::string&>());
    case json::value_t::array: {
      py::list out;
      for (const auto& v : j) out.append(to_py(v));
      return out;
    }
    case json::value_t::object: {
      py::dict out;
      for (auto it = j.begin(); it != j.end(); ++it) out[py::str(it.key())] = to_py(it.value());
      return out;
    }
    default:
      return py::none();
  }
}

json from_py(py::handle o, const std::string& where, int depth = 0) {
  if (depth > max_depth) {
    throw shardfit::error::invalid_argument(where + ": nested more than " +
                                            std::to_string(max_depth) + " levels deep");
  }
  if (o.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(o)) return o.cast<bool>();
  if (py::isinstance<py::int_>(o)) {
    // Python ints are unbounded: anything outside 64 bits is refused, not wrapped.
    const py::int_ i = py::reinterpret_borrow<py::int_>(o);
    if (i.attr("__lt__")(py::int_(0)).cast<bool>()) {
      if (i.attr("__lt__")(py::int_(std::numeric_limits<std::int64_t>::min())).cast<bool>()) {
        throw shardfit::error::invalid_argument(where + ": " + py::str(o).cast<std::string>() +
                                                " is out of range");
      }
      return o.cast<std::int64_t>();
    }
    if (i.attr("__gt__")(py::int_(std::numeric_limits<std::uint64_t>::max())).cast<bool>()) {
      throw shardfit::error::invalid_argument(where + ": " + py::str(o).cast<std::string>() +
                                              " is out of range");
    }
    return o.cast<std::uint64_t>();
  }
  if (py::isinstance<py::float_>(o)) {
    const double d = o.cast<double>();
    if (!std::isfinite(d)) {
      throw shardfit::error::invalid_argument(where + ": numbers must be finite");
    }
    return d;
  }
  if (py::isinstance<py::str>(o)) return o.cast<std::string>();
  if (py::isinstance<py::dict>(o)) {
    json out = json::object();
    for (const auto& [k, v] : py::reinterpret_borrow<py::dict>(o)) {
      if (!py::isinstance<py::str>(k)) {
        throw shardfit::error::invalid_argument(where + ": keys must be strings");
      }
      const auto key = k.cast<std::string>();
      out[key] = from_py(v, where + "." + key, depth + 1);
    }
    return out;
  }
  if (py::isinstance<py::list>(o) || py::isinstance<py::tuple>(o)) {
    json out = json::array();
    std::size_t i = 0;
    for (const auto& v : o) {
      out.push_back(from_py(v, where + "[" + std::to_string(i++) + "]", depth + 1));
    }
    return out;
  }
  throw shardfit::error::invalid_argument(
      where + ": cannot take a Python " +
      py::str(o.get_type().attr("__name__")).cast<std::string>());
}

// A model as Python sees it: the profile, its fields as properties, `to_dict()`.
struct py_model {
  shardfit::model_profile profile;
};

// The cluster argument: a dict in the cluster-file schema, a path, or an object whose
// `snapshot()` returns such a dict (the inventory policy, in Python).
shardfit::cluster cluster_of(py::handle c) {
  if (py::isinstance<py::str>(c)) {
    const auto path = c.cast<std::string>();
    py::gil_scoped_release unlocked;
    return shardfit::cluster_json_inventory(path).snapshot();
  }
  if (py::isinstance<py::dict>(c)) {
    const json j = from_py(c, "cluster");
    return shardfit::parse_cluster(j.dump(), "cluster");
  }
  if (py::hasattr(c, "snapshot")) {
    const py::object snap = c.attr("snapshot")();
    if (!py::isinstance<py::dict>(snap)) {
      throw shardfit::error::invalid_argument("cluster.snapshot() must return a dict");
    }
    const json j = from_py(snap, "cluster.snapshot()");
    return shardfit::parse_cluster(j.dump(), "cluster.snapshot()");
  }
  throw shardfit::error::invalid_argument(
      "cluster must be a dict, a path to a cluster file, or an object with snapshot()");
}

// Keyword arguments named like the tool's long options, to the request's JSON keys.
json request_json(const py::kwargs& kw) {
  // Where a keyword goes is read off the request's own JSON writer: the request's keys first,
  // then llama.cpp's settings, then vLLM's; a name nobody has is left at the top level, where
  // the reader refuses it by name. Aliases are the tool's option names.
  static const json top = shardfit::plan_request{};
  static const json llama_keys = shardfit::llama_settings{};
  static const json vllm_keys = shardfit::vllm_settings{};
  json rq = json::object();
  json llama = json::object();
  json vllm = json::object();
  for (const auto& [k, v] : kw) {
    std::string key = k.cast<std::string>();
    json value = from_py(v, key);
    if (key == "llama" || key == "vllm") {
      if (!value.is_object()) {
        throw shardfit::error::invalid_argument(key + ": must be a dict of settings");
      }
      json& dst = key == "llama" ? llama : vllm;
      for (auto it = value.begin(); it != value.end(); ++it) dst[it.key()] = it.value();
      continue;
    }
    if (key == "ctx") key = "context";
    if (key == "engine") key = "backend";
    if (key == "batch_size") key = "n_batch";
    if (key == "ubatch_size") key = "n_ubatch";
    if (key == "parallel") key = "n_parallel";
    if (key == "vllm_version") key = "version";
    if (top.contains(key) || key == "tp" || key == "pp" || key == "gpu_layers") {
      rq[key] = std::move(value);
    } else if (llama_keys.contains(key)) {
      llama[key] = std::move(value);
    } else if (vllm_keys.contains(key)) {
      vllm[key] = std::move(value);
    } else {
      rq[key] = std::move(value);
    }
  }
  if (!llama.empty()) rq["llama"] = std::move(llama);
  if (!vllm.empty()) rq["vllm"] = std::move(vllm);
  return rq;
}

// The request; without a backend, the engine that loads the model (llama.cpp for GGUF, vLLM
// for safetensors and Hugging Face directories), as the tool's `--backend auto`.
shardfit::plan_request request_of(const py::kwargs& kw,
                                  const shardfit::model_profile* m = nullptr) {
  json j = request_json(kw);
  if (m != nullptr && !j.contains("backend"))
    j["backend"] = m->source == "gguf" ? "llama.cpp" : "vllm";
  return j.get<shardfit::plan_request>();
}

py::dict placement_context(const shardfit::plan_context& ctx) {
  py::dict d;
  d["engine"] = std::string(shardfit::to_string(ctx.engine));
  d["policy"] = std::string(shardfit::to_string(ctx.policy));
  d["model"] = ctx.profile != nullptr ? ctx.profile->name : std::string();
  d["workers"] = ctx.c.workers.size();
  return d;
}

// The scorer policy, in Python: a callable (placement dict, context dict) -> float in [0, 100],
// joined to the default scorer as a weighted term.
shardfit::dynamic_term python_term(py::object fn, std::string name) {
  // The callable is released with the GIL held, whichever thread drops the last reference.
  std::shared_ptr<py::object> owner(new py::object(std::move(fn)), [](py::object* o) {
    py::gil_scoped_acquire locked;
    delete o;
  });
  shardfit::dynamic_term t;
  t.name = std::move(name);
  t.labels = {"*"};
  t.fn = [owner](const shardfit::placement& p, const shardfit::plan_context& ctx) {
    shardfit::placement named = p;  // scored before the planner names it: names from the snapshot
    shardfit::detail::name_placement(named, ctx.c);
    py::gil_scoped_acquire locked;
    const json pj = named;
    const py::object r = (*owner)(to_py(pj), placement_context(ctx));
    if (!py::isinstance<py::float_>(r) && !py::isinstance<py::int_>(r)) {
      throw shardfit::error(shardfit::errc::contract_violation,
                            "the Python scorer must return a number in [0, 100]");
    }
    return r.cast<double>();
  };
  return t;
}

json plan_json(const shardfit::model_profile& m, const shardfit::cluster& c,
               const shardfit::plan_request& rq, const py::object& scorer, int weight) {
  if (scorer.is_none()) {
    py::gil_scoped_release unlocked;
    return shardfit::plan(c, m, rq);
  }
  const auto sc = shardfit::default_scorer{}.with_term(python_term(scorer, "python"), weight);
  py::gil_scoped_release unlocked;
  return shardfit::detail::plan_on(c, m, rq, shardfit::default_estimator{}, sc);
}

}  // namespace

PYBIND11_MODULE(shardfit, mod) {
  mod.doc() =
      "shardfit: where can this model run, and how? Shard sets, memory estimates and placement "
      "plans for llama.cpp and vLLM, as plain dicts in the tool's JSON schemas.";
  mod.attr("__version__") = std::string(shardfit::version_string);

  // Errors: shardfit.Error with the tool's message, a subclass per error kind.
  static py::exception<shardfit::error> base(mod, "Error", PyExc_RuntimeError);
  static std::vector<std::pair<shardfit::errc, py::object>> kinds;
  const std::pair<shardfit::errc, const char*> names[] = {
      {shardfit::errc::invalid_argument, "InvalidArgument"},
      {shardfit::errc::overflow, "Overflow"},
      {shardfit::errc::io_error, "IoError"},
      {shardfit::errc::not_found, "NotFound"},
      {shardfit::errc::invalid_format, "InvalidFormat"},
      {shardfit::errc::unsupported, "Unsupported"},
      {shardfit::errc::incomplete, "Incomplete"},
      {shardfit::errc::unsafe_path, "UnsafePath"},
      {shardfit::errc::limit_exceeded, "LimitExceeded"},
      {shardfit::errc::contract_violation, "ContractViolation"},
      {shardfit::errc::already_exists, "AlreadyExists"},
      {shardfit::errc::truncated, "Truncated"},
      {shardfit::errc::interrupted, "Interrupted"},
  };
  for (const auto& [code, name] : names) {
    py::object cls = py::reinterpret_steal<py::object>(
        PyErr_NewException((std::string("shardfit.") + name).c_str(), base.ptr(), nullptr));
    mod.attr(name) = cls;
    kinds.emplace_back(code, cls);
  }
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const shardfit::error& e) {
      for (const auto& [code, cls] : kinds) {
        if (code == e.code()) {
          py::object err = cls(e.what());
          err.attr("code") = std::string(shardfit::to_string(e.code()));
          err.attr("path") = e.path();
          PyErr_SetObject(cls.ptr(), err.ptr());
          return;
        }
      }
      PyErr_SetString(base.ptr(), e.what());
    } catch (const nlohmann::json::exception& e) {
      PyErr_SetString(kinds.front().second.ptr(), e.what());
    }
  });

  py::class_<py_model>(mod, "Model", "A model's profile: architecture, layers, bytes per layer.")
      .def_property_readonly("name", [](const py_model& m) { return m.profile.name; })
      .def_property_readonly("architecture",
                             [](const py_model& m) { return m.profile.architecture; })
      .def_property_readonly("source", [](const py_model& m) { return m.profile.source; })
      .def_property_readonly("layers", [](const py_model& m) { return m.profile.n_layer; })
      .def_property_readonly("weights_bytes",
                             [](const py_model& m) { return m.profile.weights().count(); })
      .def_property_readonly("file_bytes",
                             [](const py_model& m) { return m.profile.disk_bytes().count(); })
      .def_property_readonly("layer_bytes",
                             [](const py_model& m) {
                               std::vector<std::uint64_t> out;
                               for (const auto& l : m.profile.layers) {
                                 out.push_back(l.weights.count());
                               }
                               return out;
                             })
      .def(
          "to_dict", [](const py_model& m) { return to_py(json(m.profile)); },
          "The profile as the tool's JSON writes it.")
      .def("__repr__", [](const py_model& m) {
        return "<shardfit.Model " + m.profile.name + " (" + m.profile.architecture + ", " +
               std::to_string(m.profile.n_layer) + " layers)>";
      });

  mod.def(
      "inspect",
      [](const std::string& path, bool recursive) {
        json out;
        {
          py::gil_scoped_release unlocked;
          shardfit::discovery_options o;
          o.recursive = recursive;
          auto found = shardfit::discover(path, o);
          for (auto& s : found.sets) shardfit::verify_set(s);
          out = found;
        }
        return to_py(out);
      },
      py::arg("path"), py::arg("recursive") = false,
      "The shard sets at `path` with their status (complete, incomplete, truncated, corrupt), "
      "true sizes and problems: the `sets` of the tool's `inspect --json`.");

  mod.def(
      "load_model",
      [](const std::string& path, std::optional<std::string> set) {
        shardfit::load_options o;
        if (set) o.set_name = *set;
        py::gil_scoped_release unlocked;
        return py_model{shardfit::load_model(path, o)};
      },
      py::arg("path"), py::arg("set") = py::none(),
      "Loads the model at `path` (a GGUF file or set, a safetensors set, a Hugging Face "
      "directory); `set` chooses among several sets.");

  mod.def(
      "estimate",
      [](const py_model& m, const std::string& backend, const py::kwargs& kw) {
        py::kwargs settings;
        std::vector<shardfit::bytes> gpus;
        for (const auto& [k, v] : kw) {
          const auto key = k.cast<std::string>();
          if (key == "gpus") {
            for (const auto& g : from_py(v, "gpus")) gpus.push_back(g.get<shardfit::bytes>());
          } else {
            settings[k] = v;
          }
        }
        if (backend == "vllm") settings["engine"] = "vllm";
        auto rq = shardfit::resolved_request(request_of(settings));
        json out;
        {
          py::gil_scoped_release unlocked;
          if (rq.engine == shardfit::backend::vllm) {
            rq.vllm.tp = rq.tp.value_or(1);
            rq.vllm.pp = rq.pp.value_or(1);
            out = shardfit::estimate_vllm(m.profile, rq.vllm,
                                          gpus.empty() ? shardfit::bytes{} : gpus.front());
          } else {
            std::vector<shardfit::llama_device> devs;
            for (std::size_t i = 0; i < gpus.size(); ++i) {
              devs.push_back({"gpu" + std::to_string(i), shardfit::device_kind::gpu, gpus[i]});
            }
            if (rq.gpu_layers) rq.llama.n_gpu_layers = static_cast<std::int32_t>(*rq.gpu_layers);
            out = shardfit::llama_estimator(m.profile, rq.llama).estimate(devs);
          }
        }
        return to_py(out);
      },
      py::arg("model"), py::arg("backend") = "llama.cpp",
      "Memory per device: llama.cpp (gpus=['24GiB', ...], ctx, gpu_layers, flash_attn, "
      "cache_type_k, tensor_split, ...) or vLLM (tp, pp, max_model_len, "
      "gpu_memory_utilization, gpus=[total per GPU], ...).");

  mod.def(
      "check_parallel",
      [](const py_model& m, std::uint32_t tp, std::uint32_t pp, std::uint32_t ep,
         const std::string& engine) {
        const auto e =
            engine == "sglang" ? shardfit::serving_engine::sglang : shardfit::serving_engine::vllm;
        if (engine != "sglang" && engine != "vllm") {
          throw shardfit::error::invalid_argument("engine must be vllm or sglang, not '" + engine +
                                                  "'");
        }
        const auto c = shardfit::check_parallel(m.profile, {tp, pp, ep > 1, e});
        json out = c;
        out["valid_tp"] = shardfit::valid_tensor_parallel(m.profile, 64, ep > 1, e);
        out["suggestions"] = shardfit::suggest_parallel(m.profile, tp * pp, ep > 1, e);
        return to_py(out);
      },
      py::arg("model"), py::arg("tp"), py::arg("pp") = 1, py::arg("ep") = 1,
      py::arg("engine") = "vllm",
      "Whether the engine accepts tp x pp: verdict, the rules broken with reasons, the valid "
      "tensor parallel sizes, and the nearest valid layouts.");

  mod.def(
      "plan",
      [](const py_model& m, const py::object& cluster, const py::object& scorer, int scorer_weight,
         const py::kwargs& kw) {
        const auto c = cluster_of(cluster);
        const auto rq = request_of(kw, &m.profile);
        return to_py(plan_json(m.profile, c, rq, scorer, scorer_weight));
      },
      py::arg("model"), py::arg("cluster"), py::arg("scorer") = py::none(),
      py::arg("scorer_weight") = 10,
      "Plans `model` on `cluster` (a dict in the cluster-file schema, a path, or an object "
      "with snapshot()). Keywords are the request (backend, ctx, tp, pp, gpus, gpu_layers, "
      "policy, gpu_memory_utilization, ...). `scorer(placement, context) -> [0, 100]` joins the "
      "default score with weight `scorer_weight`. Without `backend`, the engine that loads the "
      "model (llama.cpp for GGUF, else vLLM). Returns the tool's `plan --json` document.");

  mod.def(
      "launch_commands",
      [](const py::dict& plan, const py_model& m, const py::object& cluster,
         const std::string& model_path, const py::kwargs& kw) {
        const auto result = from_py(plan, "plan").get<shardfit::plan_result>();
        if (!result.chosen) throw shardfit::error::invalid_argument("the plan has no placement");
        const auto c = cluster_of(cluster);
        const auto rq = request_of(kw, &m.profile);
        const auto cmds = shardfit::launch_commands(
            *result.chosen, c, shardfit::launch_settings_for(m.profile, rq, model_path));
        py::list out;
        for (const auto& cmd : cmds) {
          py::dict d;
          d["worker"] = cmd.worker;
          d["address"] = cmd.address;
          d["role"] = cmd.role;
          py::dict env;
          for (const auto& [k, v] : cmd.env) env[py::str(k)] = v;
          d["env"] = env;
          d["argv"] = cmd.argv;
          d["note"] = cmd.note;
          d["shell"] = cmd.shell();
          out.append(d);
        }
        return out;
      },
      py::arg("plan"), py::arg("model"), py::arg("cluster"), py::arg("model_path"),
      "The commands that start a plan's placement, in order (download steps first), for the "
      "request the plan was made with (same keywords as plan()).");

  mod.def(
      "reshard",
      [](const std::string& source, const std::string& out_dir, const std::string& max_shard_size,
         const py::object& progress, bool force, bool dry_run, bool sync) {
        shardfit::reshard_options o;
        o.max_shard_size = shardfit::parse_bytes(max_shard_size);
        o.force = force;
        o.sync = sync;
        if (!progress.is_none()) {
          o.progress = [progress](const shardfit::reshard_progress& p) {
            py::gil_scoped_acquire locked;
            py::dict d;
            d["phase"] = std::string(p.phase);
            d["shard"] = p.shard;
            d["shards"] = p.shards;
            d["done_bytes"] = p.done.count();
            d["total_bytes"] = p.total.count();
            progress(d);
          };
        }
        json out = json::object();
        {
          py::gil_scoped_release unlocked;
          const auto plan = shardfit::plan_reshard(source, out_dir, o);
          json shards = json::array();
          for (const auto& s : plan.shards) shards.push_back(s.file);
          out["shards"] = std::move(shards);
          out["index"] = plan.index_file;
          out["bytes_to_write"] = plan.bytes_to_write();
          out["written"] = false;
          if (!dry_run) {
            const auto r = shardfit::write_reshard(plan, o);
            out["written"] = true;
            out["files"] = r.files;
            out["written_bytes"] = r.written;
            out["verified_tensors"] = r.verified_tensors;
          }
        }
        return to_py(out);
      },
      py::arg("source"), py::arg("out_dir"), py::arg("max_shard_size"),
      py::arg("progress") = py::none(), py::arg("force") = false, py::arg("dry_run") = false,
      py::arg("sync") = true,
      "Cuts a safetensors or GGUF checkpoint into layer-aligned shards of at most "
      "`max_shard_size` (\"5GB\"), verified before they are renamed into place; "
      "`progress(dict)` is called as bytes are written and verified.");
}
