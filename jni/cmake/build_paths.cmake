# djl_metal_build_paths(<library> <checkout> <out>): the strings in a built library that name a directory of
# the build machine (the checkout, $HOME, the LLVM toolchain), for the shipped libraries' checks.
function(djl_metal_build_paths library checkout out)
  set(found "")
  file(STRINGS ${library} texts)
  foreach(text IN LISTS texts)
    if(text MATCHES "${checkout}" OR text MATCHES "/usr/lib/llvm-" OR ("$ENV{HOME}" AND text MATCHES "$ENV{HOME}/"))
      string(APPEND found "\n  a path of the build machine inside: ${text}")
    endif()
  endforeach()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()
