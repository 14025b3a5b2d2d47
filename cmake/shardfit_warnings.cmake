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
  if(SHARDFIT_WARNINGS_AS_ERRORS)
    target_compile_options(shardfit_warnings INTERFACE -Werror)
  endif()
elseif(MSVC)
  target_compile_options(shardfit_warnings INTERFACE /W4 /permissive-)
  if(SHARDFIT_WARNINGS_AS_ERRORS)
    target_compile_options(shardfit_warnings INTERFACE /WX)
  endif()
endif()
