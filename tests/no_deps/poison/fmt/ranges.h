#error "poison: a core shardfit header included <fmt/ranges.h>; only the opt-in adapters may"
