# install: man pages and completion generated from the command tables,
# `cmake --install` layout, and the .deb of `cpack -G DEB` (label install).
foreach(t man layout deb)
  nl_add_sh_test(install_${t} ${CMAKE_CURRENT_LIST_DIR}/${t}.sh LABELS install TIMEOUT 120)
  set_property(TEST install_${t} APPEND PROPERTY ENVIRONMENT "NL_BINARY_DIR=${CMAKE_BINARY_DIR}")
endforeach()
