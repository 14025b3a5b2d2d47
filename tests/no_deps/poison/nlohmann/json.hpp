#error "poison: a core shardfit header included <nlohmann/json.hpp>; only the opt-in adapters may"
