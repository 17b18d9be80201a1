# Install rules: headers, the component libraries with an exported lincir::lincir target,
# lincirConfig.cmake (find_package(lincir CONFIG)) and lincir.pc for C users.
include(CMakePackageConfigHelpers)

set(LINCIR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lincir)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/lincir/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lincir)

set(_lincir_install_targets lincir ${LINCIR_COMPONENTS})
if(TARGET lincir_c)
  list(APPEND _lincir_install_targets lincir_c)
endif()
install(TARGETS ${_lincir_install_targets} EXPORT lincirTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT lincirTargets NAMESPACE lincir:: DESTINATION ${LINCIR_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lincirConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lincirConfig.cmake INSTALL_DESTINATION ${LINCIR_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lincirConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lincirConfig.cmake ${PROJECT_BINARY_DIR}/lincirConfigVersion.cmake
        DESTINATION ${LINCIR_CMAKE_DIR})

configure_file(${PROJECT_SOURCE_DIR}/cmake/lincir.pc.in ${PROJECT_BINARY_DIR}/lincir.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lincir.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
