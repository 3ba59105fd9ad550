# `cmake --install`: the headers, the layers' libraries, the heed CLI and a CMake package, so
# that another project can write
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
  FILES_MATCHING PATTERN "*.h"
  PATTERN "cli" EXCLUDE)  # train/cli/: the heed executable's, which include CLI11

# Installed targets keep their names under heed::. heed::heed is every layer;
# heed::heed_framework, heed::heed_datasets, heed::heed_models and heed::heed_train are the
# layers one by one, each bringing those below it. The registering layers (cmake/layers.cmake)
# install their object files, not an archive, and their INTERFACE targets list them as link items
# of the consumer, so an installed heed::heed_models still has every attention variant registered.
set(HEED_OBJECTS_DIR ${CMAKE_INSTALL_LIBDIR}/heed)
install(TARGETS heed_framework heed_datasets_objects heed_datasets heed_models_objects heed_models
    heed_train_objects heed_train heed
  EXPORT heedTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  OBJECTS DESTINATION ${HEED_OBJECTS_DIR})
install(TARGETS heed_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT heedTargets NAMESPACE heed:: DESTINATION ${HEED_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/heedConfig.cmake.in
  ${PROJECT_BINARY_DIR}/heedConfig.cmake INSTALL_DESTINATION ${HEED_INSTALL_CMAKEDIR})
# 0.x: a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/heedConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/heedConfig.cmake ${PROJECT_BINARY_DIR}/heedConfigVersion.cmake
  DESTINATION ${HEED_INSTALL_CMAKEDIR})
