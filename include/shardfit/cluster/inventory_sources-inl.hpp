#pragma once

// The bodies of <shardfit/cluster/inventory_sources.hpp>: included by it (header-only, the default)
// or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/cluster/inventory_sources.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE std::size_t line_of(std::string_view text, std::size_t offset) noexcept {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(
                 text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

SHARDFIT_INLINE std::optional<std::uint64_t> parse_whole(std::string_view s) noexcept {
  std::uint64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

SHARDFIT_INLINE std::optional<std::uint64_t> whole_of(const json_value& v) noexcept {
  if (v.is_number()) return v.is_u64() ? std::optional<std::uint64_t>(v.u64()) : std::nullopt;
  if (v.is_string()) return parse_whole(trim(v.text()));
  return std::nullopt;
}

}  // namespace detail

SHARDFIT_INLINE std::optional<std::uint64_t> parse_quantity(std::string_view text) {
  std::string_view s = detail::trim(text);
  int exponent = 0;
  if (!s.empty() && (s.back() == 'm' || s.back() == 'u' || s.back() == 'n')) {
    exponent = s.back() == 'm' ? -3 : s.back() == 'u' ? -6 : -9;
    s.remove_suffix(1);
  } else if (const auto e = s.find_last_of("eE"); e != std::string_view::npos && e + 1 < s.size()) {
    std::string_view digits = s.substr(e + 1);  // "1e3", "1E-3"; a bare "16E" is exa
    const bool negative = digits.front() == '-';
    if (digits.front() == '+' || negative) digits.remove_prefix(1);
    const auto n = detail::parse_whole(digits);
    if (!n || *n > 18) return std::nullopt;
    exponent = negative ? -static_cast<int>(*n) : static_cast<int>(*n);
    s = s.substr(0, e);
  }
  if (exponent != 0 && s.find_first_not_of("0123456789.") != std::string_view::npos) {
    return std::nullopt;  // a unit and an exponent together
  }
  // A positive exponent moves the decimal point right before parsing, so fractions scale
  // exactly ("1.5e3" is 1500).
  std::string number(s);
  if (exponent > 0) {
    const auto dot = number.find('.');
    std::string frac = dot == std::string::npos ? "" : number.substr(dot + 1);
    number.resize(std::min(number.size(), dot));
    const auto shift = static_cast<std::size_t>(exponent);
    frac.resize(std::max(frac.size(), shift), '0');
    number += frac.substr(0, shift);
    if (frac.size() > shift) number += "." + frac.substr(shift);
  }
  const auto b = try_parse_bytes(number);
  if (!b) return std::nullopt;
  std::uint64_t v = b->count();
  for (int k = 0; k > exponent; --k) v /= 10;
  return v;
}

namespace detail {

SHARDFIT_INLINE std::vector<std::string_view> csv_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t f = 0;
  while (true) {
    const std::size_t comma = line.find(',', f);
    fields.push_back(trim(line.substr(f, comma == std::string_view::npos ? comma : comma - f)));
    if (comma == std::string_view::npos) break;
    f = comma + 1;
  }
  return fields;
}

SHARDFIT_INLINE std::string read_smi_header(const std::vector<std::string_view>& fields,
                                            smi_columns& c) {
  c = smi_columns{fields.size(), 0, std::nullopt, 0, std::nullopt, std::nullopt};
  bool has_index = false;
  bool has_total = false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string_view f = fields[i];
    if (const auto bracket = f.find(" ["); bracket != std::string_view::npos) {
      f = trim(f.substr(0, bracket));  // "memory.total [MiB]"
    }
    if (f == "index") {
      c.index = i;
      has_index = true;
    } else if (f == "name") {
      c.name = i;
    } else if (f == "memory.total") {
      c.total = i;
      has_total = true;
    } else if (f == "memory.used") {
      c.used = i;
    } else if (f == "memory.free") {
      c.free = i;
    } else {
      return "the header names column '" + std::string(fields[i]) +
             "', which shardfit does not read (it reads index, name, memory.total, memory.used "
             "and memory.free)";
    }
  }
  if (!has_index || !has_total || (!c.used && !c.free)) {
    return "the header must name index, memory.total and memory.used or memory.free";
  }
  return {};
}

}  // namespace detail

SHARDFIT_INLINE worker_info parse_nvidia_smi(std::string_view text, const std::string& path,
                                             worker_info worker) {
  worker.gpus.clear();
  detail::smi_columns cols;
  bool header_done = false;
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = detail::trim(text.substr(start, end - start));
    start = end + 1;
    ++line_no;
    const auto fail = [&](const std::string& problem) {
      throw error::format(path, "line " + std::to_string(line_no) + ": " + problem);
    };
    if (line.empty()) continue;
    const std::vector<std::string_view> fields = detail::csv_fields(line);
    if (!header_done) {
      header_done = true;
      const bool numeric =
          !fields[0].empty() && fields[0].front() >= '0' && fields[0].front() <= '9';
      if (!numeric) {
        const std::string why = detail::read_smi_header(fields, cols);
        if (!why.empty()) fail(why);
        continue;
      }
    }
    if (fields.size() != cols.count) {
      fail("expected " + std::to_string(cols.count) +
           " comma-separated fields (index, name, memory.total, memory.used), found " +
           std::to_string(fields.size()) +
           "; run nvidia-smi --query-gpu=index,name,memory.total,memory.used "
           "--format=csv,noheader,nounits");
    }
    const auto mib = [&](std::string_view v, std::string_view what,
                         bool unknown_is_zero) -> std::uint64_t {
      if (v.size() > 4 && v.substr(v.size() - 4) == " MiB")
        v = detail::trim(v.substr(0, v.size() - 4));
      if (v == "[N/A]" || v == "[Not Supported]" || v == "N/A") {
        if (unknown_is_zero) return 0;
        fail(std::string(what) + " is " + std::string(v) +
             "; give this worker's GPUs in the cluster JSON instead");
      }
      const auto n = detail::parse_whole(v);
      if (!n || *n > (std::uint64_t{1} << 40U)) {
        fail(std::string(what) + " '" + std::string(v) + "' is not a whole number of MiB");
      }
      return *n << 20U;
    };
    const auto index = detail::parse_whole(fields[cols.index]);
    if (!index || *index > 0xFFFFFFFFULL) {
      fail("the GPU index '" + std::string(fields[cols.index]) + "' is not a non-negative integer");
    }
    gpu_info g;
    g.index = static_cast<std::uint32_t>(*index);
    g.name = cols.name ? std::string(fields[*cols.name]) : std::string("NVIDIA GPU");
    g.vendor = "nvidia";
    g.vram = bytes{mib(fields[cols.total], "memory.total", false)};
    if (cols.free) {
      // Free memory is what a new instance can have: whatever is not free counts as used.
      const bytes free{mib(fields[*cols.free], "memory.free", false)};
      if (free > g.vram) fail("memory.free is more than memory.total");
      g.vram_used = g.vram - free;
    } else {
      g.vram_used = bytes{mib(fields[*cols.used], "memory.used", true)};
    }
    if (g.vram_used > g.vram) fail("memory.used is more than memory.total");
    for (const auto& o : worker.gpus) {
      if (o.index == g.index) fail("GPU index " + std::to_string(g.index) + " appears twice");
    }
    worker.gpus.push_back(std::move(g));
  }
  if (worker.gpus.empty())
    throw error::format(path, "no GPU rows (is this nvidia-smi CSV output?)");
  return worker;
}

SHARDFIT_INLINE worker_info parse_rocm_smi(std::string_view text, const std::string& path,
                                           worker_info worker) {
  const auto root = detail::json_value::parse(text, path, 100'000, 8, true);
  if (!root.is_object()) {
    throw error::format(path, "line 1: rocm-smi --json output must be a JSON object");
  }
  worker.gpus.clear();
  for (const auto& member : root.members()) {
    const std::string& key = member.first;
    const detail::json_value& card = member.second;
    if (key.size() <= 4 || key.compare(0, 4, "card") != 0) continue;  // "system"
    const auto index = detail::parse_whole(std::string_view(key).substr(4));
    if (!index || *index > 0xFFFFFFFFULL) continue;
    const auto fail = [&](const detail::json_value& at, const std::string& problem) {
      throw error::format(path, "line " + std::to_string(detail::line_of(text, at.offset())) +
                                    ": " + key + ": " + problem);
    };
    if (!card.is_object()) fail(card, "must be an object");
    const auto* total = card.get("VRAM Total Memory (B)");
    if (total == nullptr) {
      fail(card, "no \"VRAM Total Memory (B)\"; run rocm-smi --showmeminfo vram --json");
    }
    const auto total_b = detail::whole_of(*total);
    if (!total_b) fail(*total, "\"VRAM Total Memory (B)\" is not a whole number of bytes");
    gpu_info g;
    g.index = static_cast<std::uint32_t>(*index);
    g.vendor = "amd";
    g.vram = bytes{*total_b};
    if (const auto* used = card.get("VRAM Total Used Memory (B)")) {
      const auto used_b = detail::whole_of(*used);
      if (!used_b) fail(*used, "\"VRAM Total Used Memory (B)\" is not a whole number of bytes");
      if (*used_b > *total_b) fail(*used, "more VRAM used than there is");
      g.vram_used = bytes{*used_b};
    }
    for (const char* name_key : {"Card series", "Card Series", "Card model", "Card Model"}) {
      const auto* n = card.get(name_key);
      if (n != nullptr && n->is_string() && !detail::trim(n->text()).empty()) {
        g.name = std::string(detail::trim(n->text()));
        break;
      }
    }
    if (g.name.empty()) g.name = "AMD GPU";
    for (const auto& o : worker.gpus) {
      if (o.index == g.index) fail(card, "card " + std::to_string(g.index) + " appears twice");
    }
    worker.gpus.push_back(std::move(g));
  }
  if (worker.gpus.empty()) {
    throw error::format(path, "line 1: no \"cardN\" objects (is this rocm-smi --json output?)");
  }
  std::sort(worker.gpus.begin(), worker.gpus.end(),
            [](const gpu_info& a, const gpu_info& b) { return a.index < b.index; });
  return worker;
}

namespace detail {

SHARDFIT_INLINE std::optional<bytes> amd_vram_label(std::string_view v) {
  v = trim(v);
  if (!v.empty() && v.back() == 'i') v.remove_suffix(1);
  if (v.size() < 2 || std::string_view("KMGT").find(v.back()) == std::string_view::npos) {
    return std::nullopt;
  }
  return try_parse_bytes(std::string(v) + "i");
}

}  // namespace detail

SHARDFIT_INLINE cluster parse_kubernetes_nodes(std::string_view text, const std::string& path,
                                               std::vector<std::string>* warnings) {
  using detail::json_value;
  const auto root = detail::json_value::parse(text, path, 5'000'000, 32, true);
  const auto line = [&](const json_value& v) {
    return "line " + std::to_string(detail::line_of(text, v.offset()));
  };
  const auto warn = [&](std::string w) {
    if (warnings != nullptr) warnings->push_back(std::move(w));
  };
  if (!root.is_object()) {
    throw error::format(path, "line 1: expected kubectl get nodes -o json output (an object)");
  }
  std::vector<const json_value*> nodes;
  if (const auto* items = root.get("items")) {
    if (!items->is_array())
      throw error::format(path, line(*items) + ": \"items\" must be an array");
    for (const auto& n : items->items()) nodes.push_back(&n);
  } else if (const auto* kind = root.get("kind");
             kind != nullptr && kind->is_string() && kind->text() == "Node") {
    nodes.push_back(&root);
  } else {
    throw error::format(path,
                        "line 1: expected kubectl get nodes -o json output (a List with "
                        "\"items\", or one Node)");
  }
  cluster c;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const json_value& n = *nodes[i];
    std::string who = "node " + std::to_string(i);
    const auto fail = [&](const json_value& at, const std::string& problem) {
      throw error::format(path, line(at) + ": " + who + ": " + problem);
    };
    if (!n.is_object()) fail(n, "must be an object");
    if (const auto* kind = n.get("kind");
        kind != nullptr && !(kind->is_string() && kind->text() == "Node")) {
      fail(*kind, "is a " + kind->text() + ", not a Node");
    }
    const auto* meta = n.get("metadata");
    const auto* name = meta != nullptr ? meta->get("name") : nullptr;
    if (name == nullptr || !name->is_string() || name->text().empty()) {
      fail(meta != nullptr ? *meta : n, "no metadata.name");
    }
    who = "node '" + name->text() + "'";
    worker_info w;
    w.name = name->text();
    w.address = w.name;
    if (const auto* labels = meta->get("labels"); labels != nullptr && !labels->is_null()) {
      if (!labels->is_object()) fail(*labels, "metadata.labels must be an object");
      for (const auto& [k, v] : labels->members()) {
        if (!v.is_string()) fail(v, "label '" + k + "' must be a string");
        w.labels.emplace_back(k, v.text());
      }
    }
    if (const auto* spec = n.get("spec")) {
      if (const auto* u = spec->get("unschedulable");
          u != nullptr && u->is_bool() && u->boolean()) {
        warn(who + " is unschedulable (cordoned); left out");
        continue;
      }
    }
    const json_value* status = n.get("status");
    if (status == nullptr || !status->is_object()) fail(n, "no status object");
    if (const auto* conds = status->get("conditions"); conds != nullptr && conds->is_array()) {
      bool ready = true;
      for (const auto& cond : conds->items()) {
        const auto* type = cond.get("type");
        const auto* st = cond.get("status");
        if (type != nullptr && type->is_string() && type->text() == "Ready") {
          ready = st != nullptr && st->is_string() && st->text() == "True";
        }
      }
      if (!ready) {
        warn(who + " is not Ready; left out");
        continue;
      }
    }
    if (const auto* addrs = status->get("addresses"); addrs != nullptr && addrs->is_array()) {
      std::string hostname;
      for (const auto& a : addrs->items()) {
        const auto* type = a.get("type");
        const auto* addr = a.get("address");
        if (type == nullptr || addr == nullptr || !type->is_string() || !addr->is_string())
          continue;
        if (type->text() == "InternalIP" && w.address == w.name) w.address = addr->text();
        if (type->text() == "Hostname" && hostname.empty()) hostname = addr->text();
      }
      if (w.address == w.name && !hostname.empty()) w.address = hostname;
    }
    const json_value* alloc = status->get("allocatable");
    const json_value* cap = status->get("capacity");
    // A resource of the node: allocatable (what pods may use) first, then capacity.
    const auto resource = [&](std::string_view key) -> const json_value* {
      for (const json_value* o : {alloc, cap}) {
        if (o == nullptr || !o->is_object()) continue;
        if (const auto* v = o->get(key)) return v;
      }
      return nullptr;
    };
    const auto quantity = [&](const json_value& v, std::string_view key) {
      const auto q = v.is_string() ? parse_quantity(v.text())
                     : v.is_u64()  ? std::optional<std::uint64_t>(v.u64())
                                   : std::nullopt;
      if (!q) {
        fail(v, std::string(key) + " '" + v.text() + "' is not a Kubernetes quantity (e.g. 64Gi)");
      }
      return *q;
    };
    if (const auto* mem = resource("memory")) w.ram = bytes{quantity(*mem, "memory")};
    const auto count_of = [&](std::string_view key, std::string_view count_label) -> std::uint64_t {
      // The resource, else the discovery label.
      const json_value* v = resource(key);
      std::uint64_t k = 0;
      if (v != nullptr) {
        k = quantity(*v, key);
      } else if (const auto l = w.label(count_label)) {
        const auto parsed = detail::parse_whole(*l);
        if (!parsed)
          fail(*meta, "label " + std::string(count_label) + " '" + *l + "' is not a count");
        k = *parsed;
      }
      if (k > 1024) fail(n, std::string(key) + " = " + std::to_string(k) + " GPUs on one node");
      return k;
    };
    std::uint32_t next_index = 0;
    const auto add_gpus = [&](std::uint64_t count, std::string_view vendor,
                              const std::string& gpu_name, std::optional<bytes> vram,
                              std::string_view memory_label) {
      if (count == 0) return;
      if (!vram) {
        warn(who + ": " + std::to_string(count) + " " + std::string(vendor) + " GPUs but no " +
             std::string(memory_label) +
             " label; their memory counts as 0 until another source (nvidia-smi, rocm-smi, "
             "cluster JSON) gives it");
      }
      for (std::uint64_t g = 0; g < count; ++g) {
        gpu_info gpu;
        gpu.index = next_index++;
        gpu.name = gpu_name;
        gpu.vendor = std::string(vendor);
        gpu.vram = vram.value_or(bytes{});
        w.gpus.push_back(std::move(gpu));
      }
    };
    // NVIDIA: GPU feature discovery labels.
    {
      const std::uint64_t count = count_of("nvidia.com/gpu", "nvidia.com/gpu.count");
      std::optional<bytes> vram;
      if (const auto l = w.label("nvidia.com/gpu.memory")) {
        const auto mib = detail::parse_whole(*l);
        if (!mib || *mib > (std::uint64_t{1} << 30U)) {
          fail(*meta, "label nvidia.com/gpu.memory '" + *l + "' is not a whole number of MiB");
        }
        vram = bytes{*mib << 20U};
      }
      add_gpus(count, "nvidia", w.label("nvidia.com/gpu.product").value_or("NVIDIA GPU"), vram,
               "nvidia.com/gpu.memory");
    }
    // AMD: the node labeller's labels.
    {
      const std::uint64_t count = count_of("amd.com/gpu", "amd.com/gpu.count");
      std::optional<bytes> vram;
      if (const auto l = w.label("amd.com/gpu.vram")) {
        vram = detail::amd_vram_label(*l);
        if (!vram) fail(*meta, "label amd.com/gpu.vram '" + *l + "' is not a size such as 64G");
      }
      for (const auto& [k, v] : w.labels) {
        for (const std::string_view prefix : {"amd.com/gpu.vram.", "beta.amd.com/gpu.vram."}) {
          if (vram || k.size() <= prefix.size() || k.compare(0, prefix.size(), prefix) != 0) {
            continue;
          }
          vram = detail::amd_vram_label(std::string_view(k).substr(prefix.size()));
          if (!vram) fail(*meta, "label " + k + " does not end in a size such as 64G");
        }
      }
      add_gpus(count, "amd", w.label("amd.com/gpu.product-name").value_or("AMD GPU"), vram,
               "amd.com/gpu.vram");
    }
    for (const auto& o : c.workers) {
      if (o.name == w.name) fail(n, "two nodes have this name");
    }
    c.workers.push_back(std::move(w));
  }
  return c;
}

SHARDFIT_INLINE std::vector<node_gpu_requests> parse_kubernetes_pods(std::string_view text,
                                                                     const std::string& path) {
  using detail::json_value;
  const auto root = json_value::parse(text, path, 5'000'000, 64, true);
  const auto line = [&](const json_value& v) {
    return "line " + std::to_string(detail::line_of(text, v.offset()));
  };
  const json_value* items = root.is_object() ? root.get("items") : nullptr;
  if (items == nullptr || !items->is_array()) {
    throw error::format(path,
                        "line 1: expected kubectl get pods -A -o json output (a List with "
                        "\"items\")");
  }
  std::vector<node_gpu_requests> out;
  for (const auto& p : items->items()) {
    if (!p.is_object()) throw error::format(path, line(p) + ": a pod must be an object");
    const json_value* spec = p.get("spec");
    const json_value* status = p.get("status");
    const json_value* node = spec != nullptr ? spec->get("nodeName") : nullptr;
    if (node == nullptr || !node->is_string() || node->text().empty()) continue;  // pending
    if (status != nullptr) {
      if (const auto* phase = status->get("phase");
          phase != nullptr && phase->is_string() &&
          (phase->text() == "Succeeded" || phase->text() == "Failed")) {
        continue;
      }
    }
    // A container's GPUs: its limit (extended resources: requests equal limits), else request.
    const auto gpus_of = [&](const json_value& ctr, std::string_view key) -> std::uint64_t {
      const json_value* res = ctr.get("resources");
      if (res == nullptr || !res->is_object()) return 0;
      for (const char* which : {"limits", "requests"}) {
        const json_value* m = res->get(which);
        if (m == nullptr || !m->is_object()) continue;
        if (const json_value* v = m->get(key)) {
          const auto q = v->is_string() ? parse_quantity(v->text())
                         : v->is_u64()  ? std::optional<std::uint64_t>(v->u64())
                                        : std::nullopt;
          if (!q || *q > 1024) {
            throw error::format(path, line(*v) + ": " + std::string(key) + " '" + v->text() +
                                          "' is not a GPU count");
          }
          return *q;
        }
      }
      return 0;
    };
    const auto pod_gpus = [&](std::string_view key) {
      std::uint64_t sum = 0;
      std::uint64_t init = 0;
      if (const auto* cs = spec->get("containers"); cs != nullptr && cs->is_array()) {
        for (const auto& ctr : cs->items()) sum += gpus_of(ctr, key);
      }
      if (const auto* cs = spec->get("initContainers"); cs != nullptr && cs->is_array()) {
        for (const auto& ctr : cs->items()) init = std::max(init, gpus_of(ctr, key));
      }
      return std::max(sum, init);
    };
    const std::uint64_t nv = pod_gpus("nvidia.com/gpu");
    const std::uint64_t amd = pod_gpus("amd.com/gpu");
    if (nv == 0 && amd == 0) continue;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const node_gpu_requests& r) { return r.node == node->text(); });
    if (it == out.end()) {
      out.push_back({node->text(), 0, 0, {}});
      it = out.end() - 1;
    }
    it->nvidia += nv;
    it->amd += amd;
    std::string who;
    if (const auto* meta = p.get("metadata")) {
      const auto* ns = meta->get("namespace");
      const auto* name = meta->get("name");
      if (ns != nullptr && ns->is_string()) who = ns->text() + "/";
      if (name != nullptr && name->is_string()) who += name->text();
    }
    it->pods.push_back(who);
  }
  return out;
}

SHARDFIT_INLINE void take_pod_gpus(cluster& c, const std::vector<node_gpu_requests>& requests,
                                   std::vector<std::string>* warnings) {
  for (const auto& r : requests) {
    auto w = std::find_if(c.workers.begin(), c.workers.end(),
                          [&](const worker_info& x) { return x.name == r.node; });
    if (w == c.workers.end()) continue;
    for (const auto& [vendor, count] :
         {std::pair<std::string_view, std::uint64_t>{"nvidia", r.nvidia}, {"amd", r.amd}}) {
      if (count == 0) continue;
      std::uint64_t left = count;
      std::uint64_t total = 0;
      for (auto g = w->gpus.rbegin(); g != w->gpus.rend(); ++g) {
        if (g->vendor != vendor) continue;
        ++total;
        if (left == 0) continue;
        g->vram_used = g->vram;
        --left;
      }
      if (warnings != nullptr) {
        std::string pods;
        for (const auto& p : r.pods) pods += (pods.empty() ? "" : ", ") + p;
        warnings->push_back("node '" + r.node + "': " + std::to_string(count) + " of " +
                            std::to_string(total) + " " + std::string(vendor) +
                            " GPUs held by pods (" + pods + "); " +
                            std::to_string(total - std::min(total, count)) + " free");
      }
    }
  }
}

SHARDFIT_INLINE void merge_into(cluster& into, const cluster& from) {
  if (from.reserved.ram != bytes{}) into.reserved.ram = from.reserved.ram;
  if (from.reserved.vram != bytes{}) into.reserved.vram = from.reserved.vram;
  const auto add_models = [](std::vector<model_copy>& to, const std::vector<model_copy>& more) {
    for (const auto& m : more) {
      const bool known = std::any_of(to.begin(), to.end(), [&](const model_copy& o) {
        return o.path == m.path && o.name == m.name && o.size == m.size;
      });
      if (!known) to.push_back(m);
    }
  };
  for (const auto& v : from.volumes) {
    auto it = std::find_if(into.volumes.begin(), into.volumes.end(),
                           [&](const volume_info& o) { return o.name == v.name; });
    if (it == into.volumes.end()) {
      into.volumes.push_back(v);
      continue;
    }
    it->shared = v.shared;
    if (v.free != bytes{}) it->free = v.free;
    if (!v.claim.empty()) it->claim = v.claim;
    add_models(it->models, v.models);
  }
  // Workers are looked up by name in a hash map: merging is linear in workers (it compared
  // every pair of names, 45% of a 10,000-worker plan).
  std::unordered_map<std::string, std::size_t> by_name;
  by_name.reserve(into.workers.size() + from.workers.size());
  for (std::size_t i = 0; i < into.workers.size(); ++i) by_name.emplace(into.workers[i].name, i);
  for (const auto& w : from.workers) {
    const auto [slot, added] = by_name.emplace(w.name, into.workers.size());
    if (added) {
      into.workers.push_back(w);
      continue;
    }
    worker_info& t = into.workers[slot->second];
    if (!w.address.empty() && w.address != w.name) t.address = w.address;
    if (w.ram != bytes{}) {
      t.ram = w.ram;
      t.ram_used = w.ram_used;
    }
    t.uma = t.uma || w.uma;
    if (w.disk_free) t.disk_free = w.disk_free;
    for (const auto& label : w.labels) {
      auto l = std::find_if(t.labels.begin(), t.labels.end(),
                            [&](const auto& kv) { return kv.first == label.first; });
      if (l == t.labels.end()) {
        t.labels.push_back(label);
      } else {
        l->second = label.second;
      }
    }
    for (const auto& m : w.mounts) {
      const bool known = std::any_of(t.mounts.begin(), t.mounts.end(),
                                     [&](const mount_info& o) { return o.path == m.path; });
      if (!known) t.mounts.push_back(m);
    }
    add_models(t.models, w.models);
    if (!w.gpus.empty()) t.gpus = w.gpus;
  }
  into.claims.insert(into.claims.end(), from.claims.begin(), from.claims.end());
}

SHARDFIT_INLINE cluster merge_clusters(const std::vector<cluster>& parts) {
  cluster out;
  for (const auto& p : parts) merge_into(out, p);
  return out;
}

SHARDFIT_INLINE cluster merge_clusters(std::vector<cluster>&& parts) {
  if (parts.empty()) return {};
  cluster out = std::move(parts.front());
  for (std::size_t i = 1; i < parts.size(); ++i) merge_into(out, parts[i]);
  return out;
}

SHARDFIT_INLINE cluster kubernetes_nodes_inventory::snapshot() const {
  return parse_kubernetes_nodes(read_input(path_, std::size_t{256} << 20U), path_, warnings_);
}

}  // namespace shardfit
