# Helpers shared by the module CMakeLists (runtime, channels, actor, proto).

include(GNUInstallDirs)

# Warnings are errors for the project's own code, never for consumers.
function(troupe_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
endfunction()

# Makes <troupe/MODULE/...> resolve to the MODULE folder in the build tree.
function(troupe_prepare_include_tree)
  file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/include/troupe)
  foreach(module IN LISTS ARGN)
    set(link ${PROJECT_BINARY_DIR}/include/troupe/${module})
    if(NOT EXISTS ${link})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${module} ${link} SYMBOLIC)
    endif()
  endforeach()
endfunction()

# troupe_module(NAME [SOURCES ...] DEPS ... [PRIVATE_HEADERS ...]): the
# library troupe::NAME, its headers installed under include/troupe/NAME,
# exported for find_package. Without SOURCES the module is header-only: an
# INTERFACE library (it compiles nothing itself; the tests that include its
# headers check their warnings). PRIVATE_HEADERS (file names) are left out
# of the installed tree: headers that only the module's own sources use,
# and that include what is not installed (generated gRPC stubs).
function(troupe_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_HEADERS" ${ARGN})
  if(ARG_SOURCES)
    add_library(troupe_${name} ${ARG_SOURCES})
    set(scope PUBLIC)
    troupe_warnings(troupe_${name})
  else()
    add_library(troupe_${name} INTERFACE)
    set(scope INTERFACE)
  endif()
  add_library(troupe::${name} ALIAS troupe_${name})
  set_target_properties(troupe_${name} PROPERTIES EXPORT_NAME ${name}
    OUTPUT_NAME troupe_${name})
  target_compile_features(troupe_${name} ${scope} cxx_std_20)
  target_include_directories(troupe_${name} ${scope}
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(troupe_${name} ${scope} ${ARG_DEPS})
  install(TARGETS troupe_${name} EXPORT TroupeTargets)
  set(excluded)
  foreach(header IN LISTS ARG_PRIVATE_HEADERS)
    list(APPEND excluded PATTERN ${header} EXCLUDE)
  endforeach()
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/troupe/${name}
    FILES_MATCHING PATTERN "*.hpp" ${excluded})
endfunction()
