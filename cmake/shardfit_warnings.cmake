# shardfit_warnings: an INTERFACE target with the warning flags for shardfit's own tests, examples
# and benchmarks. It is never installed or exported, so consumers never inherit our flags.
add_library(shardfit_warnings INTERFACE)

if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(
    shardfit_warnings
    INTERFACE -Wall
              -Wextra
              -Wpedantic
              -Wshadow
              -Wconversion
              -Wsign-conversion
              -Wnon-virtual-dtor
              -Wold-style-cast
              -Woverloaded-virtual
              -Wnull-dereference
              -Wdouble-promotion
              -Wformat=2
              -Wimplicit-fallthrough
              -Wcast-qual)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(shardfit_warnings INTERFACE -Wdocumentation)
  endif()
  # GCC 12 at -O2/-O3 reports -Wrestrict and -Wnull-dereference inside libstdc++'s own string
  # and vector code (GCC bugs 105329, 105651): keep them warnings, not errors.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12)
    target_compile_options(shardfit_warnings INTERFACE -Wno-error=restrict
                                                       -Wno-error=null-dereference)
  endif()
  if(SHARDFIT_WARNINGS_AS_ERRORS)
    target_compile_options(shardfit_warnings INTERFACE -Werror)
  endif()
elseif(MSVC)
  target_compile_options(shardfit_warnings INTERFACE /W4 /permissive-)
  if(SHARDFIT_WARNINGS_AS_ERRORS)
    target_compile_options(shardfit_warnings INTERFACE /WX)
  endif()
endif()
