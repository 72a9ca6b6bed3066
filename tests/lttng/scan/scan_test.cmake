# cmake -DHEADER=... -P scan_test.cmake: prints what rseqtrace_lttng_backend()
# finds in a provider header (or stops with its error).
include(${CMAKE_CURRENT_LIST_DIR}/../../../cmake/RseqtraceLttng.cmake)
_rseqtrace_lttng_scan("${HEADER}" guard provider)
message(STATUS "guard=${guard} provider=${provider}")
