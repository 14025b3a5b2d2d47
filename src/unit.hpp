#pragma once

// Included first by every file of src/, which builds shardfit::compiled.

#ifndef SHARDFIT_COMPILED_LIB
#error "src/ builds shardfit::compiled: define SHARDFIT_COMPILED_LIB"
#endif

// clang's -Wdocumentation takes the `@tparam` of a template's comment for a misplaced one when
// the template is explicitly instantiated (src/files.cpp, model.cpp, plan.cpp, reshard.cpp); the
// comments are checked in every other file that includes them.
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wdocumentation"
#endif
