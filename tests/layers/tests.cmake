# One-way layers: no file includes a layer above its own (see check_layers.py).
add_test(NAME layers_include_direction
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_layers.py ${CMAKE_SOURCE_DIR})
set_tests_properties(layers_include_direction PROPERTIES LABELS "unit")
