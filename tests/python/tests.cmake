# python: Python frames of CPython 3.11+ processes (samplers/pyframes.c,
# pyruntime.c, pylayout.c, pyrecord.c; the join in profiler/codeprofile.c).
# Debian's python3 is required (the tests skip without it); other CPython
# builds found under ~/.pyenv (3.11 with a shared libpython, 3.12, 3.13) are
# checked too when the machine has them.
set(NL_DEBIAN_PYTHON /usr/bin/python3)
file(GLOB NL_OTHER_PYTHONS $ENV{HOME}/.pyenv/versions/3.1[123].*/bin/python3.1[123])
add_test(NAME python_frames_end_to_end
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_pyframes.py
                 ${CMAKE_CURRENT_LIST_DIR}/dataset_readers.py ${NL_DEBIAN_PYTHON})
set_tests_properties(python_frames_end_to_end PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS python)
if(NL_OTHER_PYTHONS)
  add_test(NAME python_frames_other_builds
           COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_pyframes.py
                   ${CMAKE_CURRENT_LIST_DIR}/dataset_readers.py ${NL_OTHER_PYTHONS})
  set_tests_properties(python_frames_other_builds PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                       ENVIRONMENT "${NL_TEST_ENV}" LABELS python)
endif()
nl_add_c_test(test_pylayout ${CMAKE_CURRENT_LIST_DIR}/test_pylayout.c LABELS python
              ARGS ${NL_DEBIAN_PYTHON} ${NL_OTHER_PYTHONS})
nl_add_c_test(test_pyframes_hostile ${CMAKE_CURRENT_LIST_DIR}/test_pyframes_hostile.c
              LABELS python ARGS ${NL_DEBIAN_PYTHON})
nl_add_c_test(test_pylookahead ${CMAKE_CURRENT_LIST_DIR}/test_pylookahead.c
              LABELS python ARGS ${NL_DEBIAN_PYTHON})
set_tests_properties(test_pylookahead PROPERTIES TIMEOUT 60)
nl_add_c_test(test_pyrecord ${CMAKE_CURRENT_LIST_DIR}/test_pyrecord.c LABELS python)
nl_add_c_test(test_pysplice ${CMAKE_CURRENT_LIST_DIR}/test_pysplice.c LABELS python)
# Real PyTorch (python3-torch) on this machine: tests/guest/train.py's names.
add_test(NAME python_frames_torch
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_torch.py ${CMAKE_SOURCE_DIR}/tests/guest/train.py)
set_tests_properties(python_frames_torch PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS "python;torch")
