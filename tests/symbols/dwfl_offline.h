/*
 * dwfl_offline.h - the libdwfl callbacks the symbol tests open files with
 * by themselves (an ELF by fd or path, its debug file found by build-id or
 * debuglink the standard way), beside what profiler/symbols.c does, so a
 * test compares numalens with libdw's plain reading of the same file.
 */
#ifndef NUMALENS_TEST_DWFL_OFFLINE_H
#define NUMALENS_TEST_DWFL_OFFLINE_H

#include <elfutils/libdwfl.h>

static char *dwfl_offline_debuginfo_path;
static const Dwfl_Callbacks dwfl_offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &dwfl_offline_debuginfo_path,
};

#endif
