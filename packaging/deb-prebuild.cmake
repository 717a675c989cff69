# CPACK_PRE_BUILD_SCRIPTS for the .deb: Debian policy wants manual pages
# compressed with gzip -9n (no name, no timestamp: reproducible).
# CPack runs this after installing into its staging directory.
file(GLOB_RECURSE kf_pages "${CPACK_TEMPORARY_DIRECTORY}/*.1")
list(FILTER kf_pages INCLUDE REGEX "/share/man/man1/[^/]+\\.1$")
foreach(page IN LISTS kf_pages)
  execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${page} failed")
  endif()
endforeach()
