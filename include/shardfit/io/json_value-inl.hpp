#pragma once

// The bodies of <shardfit/io/json_value.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/io/json_value.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE const std::vector<std::pair<std::string, json_value>>& json_value::members()
    const noexcept {
  return members_;
}

SHARDFIT_INLINE const json_value* json_value::get(std::string_view key) const noexcept {
  if (type_ != json_type::object) return nullptr;
  for (const auto& [k, v] : members_) {
    if (k == key) return &v;
  }
  return nullptr;
}

SHARDFIT_INLINE json_value json_value::parse(std::string_view text, const std::string& source,
                                             std::size_t max_nodes, std::size_t max_depth,
                                             bool lines) {
  json_limits limits;
  limits.max_depth = max_depth;
  limits.lines = lines;
  json_cursor cur(text, source, limits);
  std::size_t budget = max_nodes;
  json_value v = build(cur, budget, max_nodes);
  cur.expect_end();
  return v;
}

SHARDFIT_INLINE json_value json_value::build(json_cursor& cur, std::size_t& budget,
                                             std::size_t max_nodes) {
  if (budget == 0) {
    cur.fail("more than " + std::to_string(max_nodes) + " JSON values; this file is refused");
  }
  --budget;
  json_value v;
  v.type_ = cur.peek();
  v.offset_ = cur.offset();
  switch (v.type_) {
    case json_type::null:
      (void)cur.consume_null();
      break;
    case json_type::boolean:
      v.bool_ = cur.read_bool();
      break;
    case json_type::string:
      v.text_ = cur.read_string();
      break;
    case json_type::number: {
      const std::size_t at = cur.offset();
      v.text_ = std::string(cur.read_number_text());
      const char* first = v.text_.data();
      const char* last = first + v.text_.size();
      const auto r = std::from_chars(first, last, v.number_);
      if (r.ec != std::errc{}) cur.fail_at(at, "number " + v.text_ + " is out of range");
      if (v.text_.find_first_of("-.eE") == std::string::npos) {
        v.is_u64_ = std::from_chars(first, last, v.u64_).ec == std::errc{};
      } else if (v.number_ >= 0 && v.number_ < 1.8e19 &&
                 v.number_ == static_cast<double>(static_cast<std::uint64_t>(v.number_))) {
        v.u64_ = static_cast<std::uint64_t>(v.number_);
        v.is_u64_ = true;
      }
      break;
    }
    case json_type::array:
      cur.read_array([&](std::size_t) { v.items_.push_back(build(cur, budget, max_nodes)); });
      break;
    case json_type::object:
      cur.read_object([&](std::string_view key) {
        v.members_.emplace_back(std::string(key), build(cur, budget, max_nodes));
      });
      break;
  }
  return v;
}

}  // namespace shardfit::detail
