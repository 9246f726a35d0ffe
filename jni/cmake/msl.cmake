# msl_add_kernels(<target> <registration function> <file.metal>...)
#
# Runs the MSL pre-pass on each .metal file (rebuilding when it changes) and compiles the result into
# <target> against the simulator's compatibility headers. Also generates `void <registration function>()`,
# which registers every kernel of these files with the simulator; call it before launching them.
function(msl_add_kernels target register_fn)
  set(declarations "")
  set(calls "")
  foreach(source IN LISTS ARGN)
    get_filename_component(path ${source} ABSOLUTE)
    get_filename_component(directory ${path} DIRECTORY)
    get_filename_component(stem ${path} NAME_WE)
    set(function msl_register_${target}_${stem})
    set(output ${CMAKE_CURRENT_BINARY_DIR}/msl/${target}/${stem}.metal.cpp)
    add_custom_command(
      OUTPUT ${output}
      COMMAND msl_prepass ${path} ${output} ${function}
      DEPENDS msl_prepass ${path}
      COMMENT "MSL pre-pass: ${stem}.metal"
      VERBATIM)
    target_sources(${target} PRIVATE ${output})
    # Quoted includes next to the .metal file (shared headers) resolve from the generated file too.
    set_property(SOURCE ${output} APPEND PROPERTY INCLUDE_DIRECTORIES ${directory})
    string(APPEND declarations "void ${function}();\n")
    string(APPEND calls "  ${function}();\n")
  endforeach()
  set(registry ${CMAKE_CURRENT_BINARY_DIR}/msl/${target}/registry.cpp)
  file(GENERATE OUTPUT ${registry} CONTENT "${declarations}void ${register_fn}() {\n${calls}}\n")
  target_sources(${target} PRIVATE ${registry})
  target_link_libraries(${target} PUBLIC djl_metal_simulator)
endfunction()
