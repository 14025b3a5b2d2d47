#error "poison: a core shardfit header included <fmt/ostream.h>; only the opt-in adapters may"
