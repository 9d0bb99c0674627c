# Installation layout and Debian packages (issue 9), included at the end of the top CMakeLists.txt.
#
#   tempo-lab-cli  /usr/bin/tempo-lab-cli, its man page (generated at build time from the command
#                  registry), the bundled model in /usr/share/tempo-lab/models/tempo-kjv-small and
#                  the documentation in /usr/share/doc/tempo-lab-cli
#   tempo-lab      /usr/bin/tempo-lab (the window), its .desktop entry and SVG icon; depends on
#                  tempo-lab-cli (which brings the model)
#
# Build them with `cpack -G DEB` in the build folder (tools/test-deb.sh builds, installs and runs
# them). Library dependencies come from dpkg-shlibdeps; the Qt platform plugins, which the GUI
# loads at run time rather than links, are named by hand.
include(GNUInstallDirs)

# ---------------------------------------------------------------- components
# The executables' own CMakeLists install them without a component; these rules put the same
# files into the per-package components (the default component is not packaged).
install(TARGETS tempo-lab-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)

# Man page: the CLI writes it from its command registry, so it always matches --help.
set(TEMPO_MAN_PAGE "${CMAKE_BINARY_DIR}/man/tempo-lab-cli.1")
add_custom_command(OUTPUT "${TEMPO_MAN_PAGE}"
  COMMAND ${CMAKE_COMMAND} -E make_directory "${CMAKE_BINARY_DIR}/man"
  COMMAND sh -c "\"$<TARGET_FILE:tempo-lab-cli>\" help --man > \"${TEMPO_MAN_PAGE}.tmp\" && mv \"${TEMPO_MAN_PAGE}.tmp\" \"${TEMPO_MAN_PAGE}\""
  DEPENDS tempo-lab-cli
  COMMENT "Writing the tempo-lab-cli(1) man page from the command registry"
  VERBATIM)
add_custom_target(tempo-lab-cli-man ALL DEPENDS "${TEMPO_MAN_PAGE}")
install(FILES "${TEMPO_MAN_PAGE}" DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT cli)

# The bundled model (issue 6): whatever resources/models/tempo-kjv-small holds at configure time.
set(TEMPO_BUNDLED_MODEL "${CMAKE_SOURCE_DIR}/resources/models/tempo-kjv-small")
if(EXISTS "${TEMPO_BUNDLED_MODEL}/config.json")
  install(DIRECTORY "${TEMPO_BUNDLED_MODEL}" DESTINATION ${CMAKE_INSTALL_DATADIR}/tempo-lab/models COMPONENT cli)
else()
  message(STATUS "packaging: no ${TEMPO_BUNDLED_MODEL}/config.json yet; the packages carry no bundled model")
endif()

install(DIRECTORY "${CMAKE_SOURCE_DIR}/resources/suites" DESTINATION ${CMAKE_INSTALL_DATADIR}/tempo-lab COMPONENT cli)

file(GLOB TEMPO_DOCS CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/docs/*.md")
install(FILES ${TEMPO_DOCS} DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/tempo-lab-cli COMPONENT cli)

if(TARGET tempo-lab)
  install(TARGETS tempo-lab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT gui)
  install(FILES "${CMAKE_SOURCE_DIR}/packaging/tempo-lab.desktop"
          DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT gui)
  # The window's own icon when the GUI ships one, so the launcher and the window look the same.
  set(TEMPO_ICON "${CMAKE_SOURCE_DIR}/resources/icons/app.svg")
  if(NOT EXISTS "${TEMPO_ICON}")
    set(TEMPO_ICON "${CMAKE_SOURCE_DIR}/packaging/tempo-lab.svg")
  endif()
  install(FILES "${TEMPO_ICON}" DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
          RENAME tempo-lab.svg COMPONENT gui)
  if(EXISTS "${CMAKE_SOURCE_DIR}/docs/screenshots")
    install(DIRECTORY "${CMAKE_SOURCE_DIR}/docs/screenshots"
            DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/tempo-lab-cli COMPONENT cli)
  endif()
endif()

# ---------------------------------------------------------------- CPack
set(CPACK_PACKAGE_NAME "tempo-lab")
set(CPACK_PACKAGE_VENDOR "TEMPO Lab")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Lab notebook for TEMPO parallel decoding experiments on Llama models")
set(CPACK_PACKAGE_CONTACT "TEMPO Lab maintainers <tempo-lab@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_GENERATOR "DEB")
set(CPACK_OUTPUT_FILE_PREFIX "${CMAKE_BINARY_DIR}/packages")

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL cli)
if(TARGET tempo-lab)
  list(APPEND CPACK_COMPONENTS_ALL gui)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The build type is RelWithDebInfo: strip the installed executables, as Debian packages do.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/JoeLuker/tempo")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME "tempo-lab-cli")
set(CPACK_COMPONENT_CLI_DESCRIPTION
  "Command line of TEMPO Lab: run TEMPO presets and sweeps on Llama models into a notebook,\n\
browse, merge and export runs; includes the bundled model and the documentation.")
set(CPACK_DEBIAN_GUI_PACKAGE_NAME "tempo-lab")
set(CPACK_DEBIAN_GUI_PACKAGE_SECTION "science")
set(CPACK_COMPONENT_GUI_DESCRIPTION
  "TEMPO Lab window: launch experiment presets, watch runs, browse and compare past runs,\n\
write notes and export findings reports.")
# Not found by dpkg-shlibdeps: the window's platform plugin (xcb, wayland) is loaded, not linked.
set(CPACK_DEBIAN_GUI_PACKAGE_DEPENDS "tempo-lab-cli (= ${PROJECT_VERSION}), qt6-qpa-plugins")
set(CPACK_COMPONENT_GUI_DEPENDS cli)

include(CPack)
