#pragma once
// Violation: includes the bodies of another header.
#include <shardfit/plan/b-inl.hpp>
