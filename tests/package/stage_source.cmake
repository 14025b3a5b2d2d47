# Copies the parts of the source tree a consumer needs (no build directories) to DEST, so that
# FetchContent can take it as a local "download" without the network.
file(REMOVE_RECURSE ${DEST})
# FetchContent does not fetch a URL it fetched before: the consumer's copy of an earlier source
# tree goes, so the test always builds this one.
if(STALE)
  file(REMOVE_RECURSE ${STALE})
endif()
file(MAKE_DIRECTORY ${DEST})
foreach(item CMakeLists.txt LICENSE)
  file(COPY ${SOURCE}/${item} DESTINATION ${DEST})
endforeach()
foreach(dir cmake include)
  file(COPY ${SOURCE}/${dir} DESTINATION ${DEST})
endforeach()
