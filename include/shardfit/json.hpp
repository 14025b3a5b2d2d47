#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapters for shardfit's public types (`to_json` / `from_json`
/// found by ADL). Include this header only where JSON is wanted; the core never includes it.
///
/// Byte counts serialise as exact integers. On input they accept an integer or a string with a
/// unit (`"16GiB"`, `"500GB"`, `17179869184`).

#include <shardfit/cluster/json.hpp>
#include <shardfit/core/json.hpp>
#include <shardfit/estimate/json.hpp>
#include <shardfit/files/json.hpp>
#include <shardfit/model/json.hpp>
#include <shardfit/plan/json.hpp>
