#pragma once

/// @file
/// @brief Umbrella header: every core component. The opt-in adapters <shardfit/json.hpp> and
/// <shardfit/format.hpp> are not included; they need nlohmann-json and fmt.

#include <shardfit/config.hpp>
#include <shardfit/error.hpp>
#include <shardfit/fwd.hpp>
#include <shardfit/units.hpp>
#include <shardfit/version.hpp>
