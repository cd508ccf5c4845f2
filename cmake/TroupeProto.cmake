# troupe_add_proto(<target> FILES <a.proto>... [IMPORT_DIRS <dir>...])
#
# Compiles .proto files with protoc into a static library <target> that
# links libprotobuf and puts the generated headers on its users' include
# path. Imports resolve against the folder of the calling CMakeLists.txt
# (and IMPORT_DIRS): `import "bank/account.proto";` for
# bank/account.proto under it, whose header is then
# `#include "bank/account.pb.h"`. Uses CMake's FindProtobuf module (Debian's
# protobuf ships no CMake config of its own).
function(troupe_add_proto target)
  cmake_parse_arguments(ARG "" "" "FILES;IMPORT_DIRS" ${ARGN})
  if(NOT ARG_FILES)
    message(FATAL_ERROR "troupe_add_proto(${target}): no FILES given")
  endif()
  if(NOT TARGET protobuf::libprotobuf OR NOT TARGET protobuf::protoc)
    find_package(Protobuf REQUIRED)
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_generated)
  file(MAKE_DIRECTORY ${out})
  add_library(${target} STATIC ${ARG_FILES})
  protobuf_generate(TARGET ${target} LANGUAGE cpp PROTOC_OUT_DIR ${out}
    IMPORT_DIRS ${ARG_IMPORT_DIRS})
  # SYSTEM: generated code is not ours to hold to our warning flags.
  target_include_directories(${target} SYSTEM PUBLIC $<BUILD_INTERFACE:${out}>)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
