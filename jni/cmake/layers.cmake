# The native core's layers, and the rule between them: a file in src/<layer>/ may include headers of its own
# layer and of the layers it DEPENDS on, never of a higher one. Checked when CMake configures (and again
# whenever a source changes), so a wrong include fails the build.
#
#   djl_metal_layer(<name> [DEPENDS <layer>...])   declare, lowest first
#   djl_metal_check_layers(<src dir>)               check every file of every declared layer

function(djl_metal_layer name)
  cmake_parse_arguments(LAYER "" "" "DEPENDS" ${ARGN})
  get_property(layers GLOBAL PROPERTY DJL_METAL_LAYERS)
  foreach(dependency IN LISTS LAYER_DEPENDS)
    if(NOT dependency IN_LIST layers)
      message(FATAL_ERROR "layer ${name} depends on ${dependency}, which is not declared below it")
    endif()
  endforeach()
  set_property(GLOBAL APPEND PROPERTY DJL_METAL_LAYERS ${name})
  set_property(GLOBAL PROPERTY DJL_METAL_LAYER_${name} ${name} ${LAYER_DEPENDS})
endfunction()

function(djl_metal_check_layers src)
  get_property(layers GLOBAL PROPERTY DJL_METAL_LAYERS)
  set(problems "")
  foreach(layer IN LISTS layers)
    get_property(allowed GLOBAL PROPERTY DJL_METAL_LAYER_${layer})
    file(GLOB files CONFIGURE_DEPENDS ${src}/${layer}/*.h ${src}/${layer}/*.cpp)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${files})
    foreach(file IN LISTS files)
      file(STRINGS ${file} includes REGEX "^#include \"[a-z_]+/")
      foreach(line IN LISTS includes)
        string(REGEX REPLACE "^#include \"([a-z_]+)/.*" "\\1" target "${line}")
        if(target IN_LIST layers AND NOT target IN_LIST allowed)
          file(RELATIVE_PATH shown ${src} ${file})
          string(APPEND problems "\n  ${shown}: ${line} (layer ${layer} may include ${allowed})")
        endif()
      endforeach()
    endforeach()
  endforeach()
  if(problems)
    message(FATAL_ERROR "A layer includes a higher one:${problems}")
  endif()
endfunction()
