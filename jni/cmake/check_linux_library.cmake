# Checks the shipped Linux JNI library against the libtorch it runs beside, deriving every expectation from the
# files rather than from a hand list:
#
#   cmake -DLIBRARY=<libjniMetalLibrary.so> -DLIBTORCH=<dir with libtorch_cpu.so and libc10.so>
#         -DCHECKOUT=<repository root> -P check_linux_library.cmake
#
# - it asks for no newer glibc, libstdc++ (GLIBCXX) or C++ ABI (CXXABI) symbol versions than libtorch does, so it
#   loads wherever DJL's libtorch loads;
# - it links nothing of libtorch (the C shim is looked up at run time) and only system libraries;
# - its run path is $ORIGIN only, and no path of the build machine is inside.
foreach(variable LIBRARY LIBTORCH CHECKOUT)
  if(NOT ${variable})
    message(FATAL_ERROR "check_linux_library.cmake needs -D${variable}=...")
  endif()
endforeach()

# The highest version of each symbol-version family (GLIBC, GLIBCXX, CXXABI) that a file asks for.
function(required_versions file prefix)
  execute_process(COMMAND objdump -T ${file} OUTPUT_VARIABLE table RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "objdump -T ${file} failed")
  endif()
  foreach(family GLIBC GLIBCXX CXXABI)
    string(REGEX MATCHALL "[ (]${family}_[0-9.]+" found "${table}")
    set(highest "0")
    foreach(entry IN LISTS found)
      string(REGEX REPLACE ".*_" "" version "${entry}")
      if(version VERSION_GREATER highest)
        set(highest ${version})
      endif()
    endforeach()
    set(${prefix}_${family} ${highest} PARENT_SCOPE)
  endforeach()
endfunction()

required_versions(${LIBRARY} ours)
set(problems "")
foreach(family GLIBC GLIBCXX CXXABI)
  set(allowed 0)
  foreach(file ${LIBTORCH}/libtorch_cpu.so ${LIBTORCH}/libc10.so)
    required_versions(${file} torch)
    if(torch_${family} VERSION_GREATER allowed)
      set(allowed ${torch_${family}})
    endif()
  endforeach()
  message(STATUS "${family}: the library needs ${ours_${family}}, libtorch needs ${allowed}")
  if(ours_${family} VERSION_GREATER allowed)
    string(APPEND problems "\n  needs ${family}_${ours_${family}}, newer than libtorch's ${family}_${allowed}")
  endif()
endforeach()

execute_process(COMMAND readelf -d ${LIBRARY} OUTPUT_VARIABLE dynamic)
string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" needed "${dynamic}")
foreach(entry IN LISTS needed)
  string(REGEX REPLACE "Shared library: \\[([^]]+)\\]" "\\1" name "${entry}")
  if(NOT name MATCHES "^(libc|libm|libdl|libpthread|libgcc_s|libstdc\\+\\+|ld-linux-x86-64)\\.so\\.[0-9]+$")
    string(APPEND problems "\n  links ${name}, not a system library (libtorch must be looked up at run time)")
  endif()
endforeach()
string(REGEX MATCHALL "(RUNPATH|RPATH)\\) +Library r[a-z]*path: \\[[^]]*\\]" paths "${dynamic}")
foreach(entry IN LISTS paths)
  string(REGEX REPLACE ".*\\[([^]]*)\\]" "\\1" value "${entry}")
  if(NOT value STREQUAL "$ORIGIN/")
    string(APPEND problems "\n  run path ${value}: only $ORIGIN/ belongs there")
  endif()
endforeach()

include(${CMAKE_CURRENT_LIST_DIR}/build_paths.cmake)
djl_metal_build_paths(${LIBRARY} ${CHECKOUT} paths)
string(APPEND problems "${paths}")

if(problems)
  message(FATAL_ERROR "${LIBRARY}:${problems}")
endif()
message(STATUS "${LIBRARY}: loads wherever libtorch does; links only system libraries; no build paths")
