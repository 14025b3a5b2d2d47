#error \
    "poison: a core shardfit header included <nlohmann/json_fwd.hpp>; only the opt-in adapters may"
