# Finds moodycamel::ConcurrentQueue (header only), as installed by Debian's
# libconcurrentqueue-dev (include/concurrentqueue/concurrentqueue.h) or by
# upstream's install (include/concurrentqueue/moodycamel/concurrentqueue.h).
# Defines ConcurrentQueue_FOUND, ConcurrentQueue_INCLUDE_DIR (the folder that
# holds concurrentqueue.h: code includes <concurrentqueue.h>) and the imported
# target ConcurrentQueue::ConcurrentQueue. Installed next to TroupeConfig.cmake
# so that find_package(Troupe) resolves it the same way.
find_path(ConcurrentQueue_INCLUDE_DIR
  NAMES concurrentqueue.h
  PATH_SUFFIXES concurrentqueue concurrentqueue/moodycamel moodycamel)
mark_as_advanced(ConcurrentQueue_INCLUDE_DIR)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(ConcurrentQueue REQUIRED_VARS ConcurrentQueue_INCLUDE_DIR)

if(ConcurrentQueue_FOUND AND NOT TARGET ConcurrentQueue::ConcurrentQueue)
  add_library(ConcurrentQueue::ConcurrentQueue INTERFACE IMPORTED)
  set_target_properties(ConcurrentQueue::ConcurrentQueue PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${ConcurrentQueue_INCLUDE_DIR}")
endif()
