# `cmake --install`: the headers, libheed.a, the heed CLI and a CMake package, so that another
# project can write
#   find_package(heed CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE heed::heed)
# Headers keep the tree's layout under include/heed/ (the INSTALL_INTERFACE include directory in
# framework/CMakeLists.txt), so `#include "framework/ops.h"` reads the same inside and outside.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HEED_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/heed)

# Only *.h from the source tree: train/default_config.h is generated into the build tree and
# only train/config.cpp includes it, so no installed header refers to it.
install(DIRECTORY
    ${PROJECT_SOURCE_DIR}/framework
    ${PROJECT_SOURCE_DIR}/models
    ${PROJECT_SOURCE_DIR}/datasets
    ${PROJECT_SOURCE_DIR}/train
  DESTINATION include/heed
  FILES_MATCHING PATTERN "*.h")

# Installed names: heed::heed is heed_whole (the library linked whole, so the attention registry
# is populated) and heed::heed_static the archive itself, which nobody should link directly.
set_target_properties(heed PROPERTIES EXPORT_NAME heed_static)
set_target_properties(heed_whole PROPERTIES EXPORT_NAME heed)
install(TARGETS heed heed_whole EXPORT heedTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS heed_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT heedTargets NAMESPACE heed:: DESTINATION ${HEED_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/heedConfig.cmake.in
  ${PROJECT_BINARY_DIR}/heedConfig.cmake INSTALL_DESTINATION ${HEED_INSTALL_CMAKEDIR})
# 0.x: a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/heedConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/heedConfig.cmake ${PROJECT_BINARY_DIR}/heedConfigVersion.cmake
  DESTINATION ${HEED_INSTALL_CMAKEDIR})
