# The HTML report (report/html.c): escaping, rendering, and a real browser.
nl_add_c_test(test_html_escape ${CMAKE_CURRENT_LIST_DIR}/test_escape.c LABELS report)
nl_add_sh_test(html_render ${CMAKE_CURRENT_LIST_DIR}/render.sh LABELS report)
nl_add_sh_test(html_browser ${CMAKE_CURRENT_LIST_DIR}/browser.sh LABELS report TIMEOUT 300)
