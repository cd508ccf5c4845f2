# Compiles through ccache when it is installed (TROUPE_CCACHE=OFF to opt out).
#
# Paths are hashed relative to the source folder and the build folder is not
# hashed, so a clone in another folder hits what an earlier clone's build
# cached (CI builds a fresh clone each time). The price: the debug info of an
# object taken from the cache names the folder of the build that made it.
option(TROUPE_CCACHE "Compile through ccache when it is installed" ON)
find_program(TROUPE_CCACHE_PROGRAM ccache)
if(TROUPE_CCACHE AND TROUPE_CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
    CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=true
    ${TROUPE_CCACHE_PROGRAM})
endif()
