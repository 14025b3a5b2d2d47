#error "poison: a core shardfit header included <fmt/core.h>; only the opt-in adapters may"
