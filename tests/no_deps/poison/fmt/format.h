#error "poison: a core shardfit header included <fmt/format.h>; only the opt-in adapters may"
