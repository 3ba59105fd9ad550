# heed_registering_layer(NAME SOURCES...): a layer whose files register themselves from static
# initializers (HEED_REGISTER_ATTENTION in models/; datasets/ is built the same way so that tasks
# can register too). A static archive would lose them: the linker takes an archive member only
# when something else names one of its symbols, and nothing names a registration. So the layer is
#   NAME_objects  an OBJECT library: the compiled files, with the layer's usage requirements;
#   NAME          an INTERFACE library that links NAME_objects and lists its object files as link
#                 items ($<TARGET_OBJECTS>), so every executable that links NAME, directly or
#                 through a static library above it (heed_train), gets every object file on its
#                 link line and keeps every registration.
# Link dependencies go on NAME_objects (target_link_libraries(NAME_objects PUBLIC ...)); the
# others link NAME. Installed, the object files travel too (cmake/install.cmake), and NAME's
# link items name the imported heed::NAME_objects instead.
function(heed_registering_layer name)
  add_library(${name}_objects OBJECT ${ARGN})
  target_compile_options(${name}_objects PRIVATE -O3)
  target_link_libraries(${name}_objects PRIVATE $<BUILD_INTERFACE:heed_warnings>)
  add_library(${name} INTERFACE)
  target_link_libraries(${name} INTERFACE ${name}_objects
    "$<BUILD_INTERFACE:$<TARGET_OBJECTS:${name}_objects>>"
    "$<INSTALL_INTERFACE:$<TARGET_OBJECTS:heed::${name}_objects>>")
endfunction()
