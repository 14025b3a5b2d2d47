# Fails unless README.md contains the example program EXAMPLE verbatim (the README's embedding
# section shows a tested program, so it cannot drift from what builds and runs).
file(READ "${README}" readme)
file(READ "${EXAMPLE}" example)
string(FIND "${readme}" "${example}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "README.md does not show ${EXAMPLE} verbatim; copy the file into it")
endif()
