# Checks the cross-built macOS JNI library, deriving every expectation from the files rather than from a hand
# list:
#
#   cmake -DLIBRARY=<libjniMetalLibrary.dylib> -DLIBTORCH=<dir with DJL's libtorch_cpu.dylib, libc10.dylib>
#         -DSYSROOT=<jni/platform/macos-arm64/sysroot> -DLLVM_VERSION=<n> -DCHECKOUT=<repository root>
#         -P check_macos_library.cmake
#
# - a Mach-O arm64 dynamic library with a code signature (engine-metal's NativeLibraryTest verifies its hashes
#   and that the exports are exactly the JNI entry points the Java classes declare);
# - its minimum macOS is no newer than DJL's libtorch's;
# - it loads only the system libraries whose stubs sysroot/usr/lib holds (nothing of libtorch, which is looked
#   up at run time), and binds every import to one of them (no flat-namespace lookups);
# - every libc++ symbol it imports is one DJL's libtorch for macOS imports too, so exists in the libc++ of every
#   macOS that libtorch runs on, or is listed with a reason in libcxx_imports_beyond_libtorch.txt;
# - no path of the build machine is inside.
cmake_minimum_required(VERSION 3.20)
foreach(variable LIBRARY LIBTORCH SYSROOT LLVM_VERSION CHECKOUT)
  if(NOT ${variable})
    message(FATAL_ERROR "check_macos_library.cmake needs -D${variable}=...")
  endif()
endforeach()
set(objdump llvm-objdump-${LLVM_VERSION})

function(run out)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE text RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN} failed: ${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

function(minimum_macos file out)
  run(commands ${objdump} --macho --private-headers ${file})
  if(NOT commands MATCHES "cmd LC_BUILD_VERSION[^\n]*\n[^\n]*\n *platform (macos|1)\n *sdk [0-9.]+\n *minos ([0-9.]+)")
    message(FATAL_ERROR "${file}: no LC_BUILD_VERSION for macOS")
  endif()
  set(${out} ${CMAKE_MATCH_2} PARENT_SCOPE)
endfunction()

# libc++ symbols a file binds to (every bind table: eager, lazy, weak).
function(libcxx_imports file out)
  run(binds ${objdump} --macho --bind --lazy-bind --weak-bind ${file})
  string(REGEX MATCHALL "libc\\+\\+ +[^ \n]+" rows "${binds}")
  set(symbols "")
  foreach(row IN LISTS rows)
    string(REGEX REPLACE "^libc\\+\\+ +" "" symbol "${row}")
    list(APPEND symbols ${symbol})
  endforeach()
  list(REMOVE_DUPLICATES symbols)
  set(${out} ${symbols} PARENT_SCOPE)
endfunction()

set(problems "")
run(header ${objdump} --macho --private-header ${LIBRARY})
if(NOT header MATCHES "MH_MAGIC_64 +ARM64 +[A-Z0-9_]+ +0x[0-9a-f]+ +DYLIB")
  string(APPEND problems "\n  not a Mach-O arm64 dynamic library:\n${header}")
endif()

run(commands ${objdump} --macho --private-headers ${LIBRARY})
if(NOT commands MATCHES "cmd LC_CODE_SIGNATURE")
  string(APPEND problems "\n  no code signature (arm64 macOS refuses to load unsigned code)")
endif()

minimum_macos(${LIBRARY} minos)
minimum_macos(${LIBTORCH}/libtorch_cpu.dylib torch_minos)
message(STATUS "minimum macOS: the library needs ${minos}, DJL's libtorch needs ${torch_minos}")
if(minos VERSION_GREATER torch_minos)
  string(APPEND problems "\n  needs macOS ${minos}, newer than libtorch's ${torch_minos}")
endif()

# The system libraries the design links are those whose stubs the cross build has.
file(GLOB stubs ${SYSROOT}/usr/lib/*.tbd)
set(allowed "")
set(allowed_short "")
foreach(stub IN LISTS stubs)
  file(STRINGS ${stub} install REGEX "^install-name:")
  string(REGEX REPLACE "^install-name: *'([^']+)'.*" "\\1" install "${install}")
  list(APPEND allowed ${install})
  get_filename_component(short ${install} NAME)
  string(REGEX REPLACE "\\..*" "" short "${short}")
  list(APPEND allowed_short ${short})
endforeach()
string(REGEX MATCHALL "cmd LC_[A-Z_]*DYLIB\n[^\n]*\n *name [^ ]+" loads "${commands}")
foreach(load IN LISTS loads)
  string(REGEX REPLACE ".*cmd (LC_[A-Z_]*DYLIB).*name ([^ ]+)$" "\\1;\\2" parts "${load}")
  list(GET parts 0 kind)
  list(GET parts 1 name)
  if(kind STREQUAL "LC_ID_DYLIB")
    if(NOT name STREQUAL "@rpath/libjniMetalLibrary.dylib")
      string(APPEND problems "\n  install name ${name}: should be @rpath/libjniMetalLibrary.dylib")
    endif()
  elseif(NOT kind STREQUAL "LC_LOAD_DYLIB" OR NOT name IN_LIST allowed)
    string(APPEND problems "\n  ${kind} ${name}: only ${allowed} belong there")
  else()
    message(STATUS "loads ${name}")
  endif()
endforeach()

# (Weak binds name no library: they coalesce weak definitions, which are not imports.)
run(binds ${objdump} --macho --bind --lazy-bind ${LIBRARY})
string(REPLACE "\n" ";" rows "${binds}")
set(bound 0)
foreach(row IN LISTS rows)
  if(row MATCHES "^__[A-Z_]+ +__[a-z_]+ +0x[0-9A-Fa-f]+ ")
    string(REGEX REPLACE " +\\(weak_import\\)$" "" row "${row}")
    string(REGEX MATCH "([^ ]+) +([^ ]+)$" tail "${row}")
    if(NOT CMAKE_MATCH_1 IN_LIST allowed_short)
      string(APPEND problems "\n  ${CMAKE_MATCH_2} is bound to ${CMAKE_MATCH_1}, not to ${allowed_short}")
    endif()
    math(EXPR bound "${bound} + 1")
  endif()
endforeach()
if(bound EQUAL 0)
  string(APPEND problems "\n  no bind table entries were read: has ${objdump}'s output format changed?")
endif()

libcxx_imports(${LIBRARY} imports)
set(known "")
foreach(file libtorch_cpu.dylib libc10.dylib libtorch.dylib)
  libcxx_imports(${LIBTORCH}/${file} theirs)
  list(APPEND known ${theirs})
endforeach()
file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/../platform/macos-arm64/libcxx_imports_beyond_libtorch.txt listed
     REGEX "^[^#]")
foreach(entry IN LISTS listed)
  string(REGEX REPLACE " .*" "" symbol "${entry}")
  list(APPEND known ${symbol})
endforeach()
list(LENGTH imports count)
foreach(symbol IN LISTS imports)
  if(NOT symbol IN_LIST known)
    string(APPEND problems "\n  imports ${symbol} from libc++, which DJL's libtorch does not: is it in macOS ${minos}'s libc++?")
  endif()
endforeach()
message(STATUS "libc++ imports: ${count}, all imported by DJL's libtorch too or listed with a reason")

include(${CMAKE_CURRENT_LIST_DIR}/build_paths.cmake)
djl_metal_build_paths(${LIBRARY} ${CHECKOUT} paths)
string(APPEND problems "${paths}")

if(problems)
  message(FATAL_ERROR "${LIBRARY}:${problems}")
endif()
message(STATUS "${LIBRARY}: Mach-O arm64, signed, macOS ${minos}+, loads only ${allowed}; no build paths")
