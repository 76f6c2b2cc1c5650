/*
 * pylayout.c - CPython struct layouts: built-in tables, _Py_DebugOffsets,
 * DWARF.  See pylayout.h.
 */
#include "samplers/pylayout.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N NL_PYOFF_NONE

/* Include/internal/pycore_runtime.h, pycore_interp.h, cpython/pystate.h,
   pycore_frame.h, cpython/code.h, cpython/unicodeobject.h of each version. */
static const struct nl_pylayout py311 = {
	.major = 3, .minor = 11, .origin = "built-in 3.11",
	.off = { 40, 16, 8, 56, N, 160, 8, 32, 48, 56, 69, 68,
		 72, 112, 120, 128, 136, 184, 16, 32, 16, 32, 48, 72 },
};

static const struct nl_pylayout py312 = {
	.major = 3, .minor = 12, .origin = "built-in 3.12",
	.off = { 40, 72, 8, 56, N, 144, 0, 0, 8, 56, 70, N,
		 68, 112, 120, 128, 136, 192, 16, 32, 16, 32, 40, 56 },
};

static const char *const field_names[NL_PY_FIELD_COUNT] = {
	[NL_PY_RT_INTERP_HEAD] = "_PyRuntimeState.interpreters.head",
	[NL_PY_IS_THREADS_HEAD] = "PyInterpreterState.threads.head",
	[NL_PY_TS_NEXT] = "PyThreadState.next",
	[NL_PY_TS_CFRAME] = "PyThreadState.cframe",
	[NL_PY_TS_CURRENT_FRAME] = "PyThreadState.current_frame",
	[NL_PY_TS_NATIVE_TID] = "PyThreadState.native_thread_id",
	[NL_PY_CF_CURRENT_FRAME] = "_PyCFrame.current_frame",
	[NL_PY_FR_CODE] = "_PyInterpreterFrame.f_code",
	[NL_PY_FR_PREVIOUS] = "_PyInterpreterFrame.previous",
	[NL_PY_FR_INSTR] = "_PyInterpreterFrame.prev_instr",
	[NL_PY_FR_OWNER] = "_PyInterpreterFrame.owner",
	[NL_PY_FR_IS_ENTRY] = "_PyInterpreterFrame.is_entry",
	[NL_PY_CO_FIRSTLINENO] = "PyCodeObject.co_firstlineno",
	[NL_PY_CO_FILENAME] = "PyCodeObject.co_filename",
	[NL_PY_CO_NAME] = "PyCodeObject.co_name",
	[NL_PY_CO_QUALNAME] = "PyCodeObject.co_qualname",
	[NL_PY_CO_LINETABLE] = "PyCodeObject.co_linetable",
	[NL_PY_CO_CODE_ADAPTIVE] = "PyCodeObject.co_code_adaptive",
	[NL_PY_BYTES_SIZE] = "PyVarObject.ob_size",
	[NL_PY_BYTES_DATA] = "PyBytesObject.ob_sval",
	[NL_PY_STR_LENGTH] = "PyASCIIObject.length",
	[NL_PY_STR_STATE] = "PyASCIIObject.state",
	[NL_PY_STR_ASCII_SIZE] = "sizeof(PyASCIIObject)",
	[NL_PY_STR_COMPACT_SIZE] = "sizeof(PyCompactUnicodeObject)",
};

const struct nl_pylayout *pylayout__builtin(unsigned major, unsigned minor)
{
	if (major == 3 && minor == 11)
		return &py311;
	if (major == 3 && minor == 12)
		return &py312;
	return NULL;
}

const char *pylayout__field_name(enum nl_pyfield f)
{
	return f < NL_PY_FIELD_COUNT ? field_names[f] : "?";
}

/* --- _Py_DebugOffsets (3.13) ----------------------------------------------------- */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int pylayout__from_debug_offsets(const uint8_t *buf, size_t len, unsigned major,
				 unsigned minor, struct nl_pylayout *out)
{
	/* Offsets of the members of struct _Py_DebugOffsets in 3.13 (the
	   struct grew in 3.14: other versions are not read). */
	static const struct { enum nl_pyfield f; uint16_t at; } map[] = {
		{ NL_PY_RT_INTERP_HEAD, 40 }, { NL_PY_IS_THREADS_HEAD, 72 },
		{ NL_PY_TS_NEXT, 168 }, { NL_PY_TS_CURRENT_FRAME, 184 },
		{ NL_PY_TS_NATIVE_TID, 200 }, { NL_PY_FR_PREVIOUS, 232 },
		{ NL_PY_FR_CODE, 240 }, { NL_PY_FR_INSTR, 248 }, { NL_PY_FR_OWNER, 264 },
		{ NL_PY_CO_FILENAME, 280 }, { NL_PY_CO_NAME, 288 }, { NL_PY_CO_QUALNAME, 296 },
		{ NL_PY_CO_LINETABLE, 304 }, { NL_PY_CO_FIRSTLINENO, 312 },
		{ NL_PY_CO_CODE_ADAPTIVE, 344 }, { NL_PY_BYTES_SIZE, 520 },
		{ NL_PY_BYTES_DATA, 528 }, { NL_PY_STR_STATE, 544 },
		{ NL_PY_STR_LENGTH, 552 }, { NL_PY_STR_ASCII_SIZE, 560 },
	};

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < NL_PY_FIELD_COUNT; i++)
		out->off[i] = N;
	if (len < 584 || memcmp(buf, "xdebugpy", 8) || major != 3 || minor != 13)
		return -EINVAL;
	if (le64(buf + 16))
		return -ENOTSUP;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		uint64_t v = le64(buf + map[i].at);

		if (v >= N)     /* PyInterpreterState is ~190 KiB: no smaller bound */
			return -EINVAL;
		out->off[map[i].f] = (uint16_t)v;
	}
	/* PyCompactUnicodeObject = PyASCIIObject + utf8_length + utf8 */
	out->off[NL_PY_STR_COMPACT_SIZE] = (uint16_t)(out->off[NL_PY_STR_ASCII_SIZE] + 16);
	out->major = major;
	out->minor = minor;
	out->origin = "_Py_DebugOffsets";
	out->executable_may_not_be_code = 1;
	return 0;
}

/* --- DWARF ------------------------------------------------------------------------ */

/* The structs, by their typedef names, and the member path of each field. */
static const struct {
	enum nl_pyfield f;
	const char *type, *member;      /* member NULL: sizeof(type) */
} dwarf_fields[] = {
	{ NL_PY_RT_INTERP_HEAD, "_PyRuntimeState", "interpreters.head" },
	{ NL_PY_IS_THREADS_HEAD, "PyInterpreterState", "threads.head" },
	{ NL_PY_TS_NEXT, "PyThreadState", "next" },
	{ NL_PY_TS_CFRAME, "PyThreadState", "cframe" },
	{ NL_PY_TS_CURRENT_FRAME, "PyThreadState", "current_frame" },
	{ NL_PY_TS_NATIVE_TID, "PyThreadState", "native_thread_id" },
	{ NL_PY_CF_CURRENT_FRAME, "_PyCFrame", "current_frame" },
	{ NL_PY_FR_CODE, "_PyInterpreterFrame", "f_code" },
	{ NL_PY_FR_PREVIOUS, "_PyInterpreterFrame", "previous" },
	{ NL_PY_FR_INSTR, "_PyInterpreterFrame", "prev_instr" },
	{ NL_PY_FR_OWNER, "_PyInterpreterFrame", "owner" },
	{ NL_PY_FR_IS_ENTRY, "_PyInterpreterFrame", "is_entry" },
	{ NL_PY_CO_FIRSTLINENO, "PyCodeObject", "co_firstlineno" },
	{ NL_PY_CO_FILENAME, "PyCodeObject", "co_filename" },
	{ NL_PY_CO_NAME, "PyCodeObject", "co_name" },
	{ NL_PY_CO_QUALNAME, "PyCodeObject", "co_qualname" },
	{ NL_PY_CO_LINETABLE, "PyCodeObject", "co_linetable" },
	{ NL_PY_CO_CODE_ADAPTIVE, "PyCodeObject", "co_code_adaptive" },
	{ NL_PY_BYTES_SIZE, "PyVarObject", "ob_size" },
	{ NL_PY_BYTES_DATA, "PyBytesObject", "ob_sval" },
	{ NL_PY_STR_LENGTH, "PyASCIIObject", "length" },
	{ NL_PY_STR_STATE, "PyASCIIObject", "state" },
	{ NL_PY_STR_ASCII_SIZE, "PyASCIIObject", NULL },
	{ NL_PY_STR_COMPACT_SIZE, "PyCompactUnicodeObject", NULL },
};
#define NR_DWARF_FIELDS (sizeof(dwarf_fields) / sizeof(dwarf_fields[0]))

/* Through typedefs and qualifiers to the struct; false when none. */
static bool peel(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;

	*out = *die;
	for (int i = 0; i < 16; i++) {
		int tag = dwarf_tag(out);

		if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type)
			return !dwarf_hasattr(out, DW_AT_declaration);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type)
			return false;
		if (!dwarf_attr_integrate(out, DW_AT_type, &a) || !dwarf_formref_die(&a, out))
			return false;
	}
	return false;
}

/* Offset of member path ("a.b") in struct st, or -1. */
static long member_offset(Dwarf_Die *st, const char *path)
{
	char name[64];
	const char *dot = strchr(path, '.');
	size_t n = dot ? (size_t)(dot - path) : strlen(path);
	Dwarf_Die m, type;
	Dwarf_Attribute a;
	Dwarf_Word loc;

	if (n >= sizeof(name))
		return -1;
	memcpy(name, path, n);
	name[n] = '\0';
	if (dwarf_child(st, &m))
		return -1;
	do {
		const char *mn = dwarf_diename(&m);

		if (dwarf_tag(&m) != DW_TAG_member || !mn || strcmp(mn, name))
			continue;
		if (!dwarf_attr(&m, DW_AT_data_member_location, &a) || dwarf_formudata(&a, &loc))
			return -1;
		if (!dot)
			return (long)loc;
		if (!dwarf_attr_integrate(&m, DW_AT_type, &a) || !dwarf_formref_die(&a, &type) ||
		    !peel(&type, &type))
			return -1;
		long inner = member_offset(&type, dot + 1);

		return inner < 0 ? -1 : (long)loc + inner;
	} while (dwarf_siblingof(&m, &m) == 0);
	return -1;
}

/* The build-id of the ELF file fd into hex (2 * size + 1 bytes); 0 or -ENOENT. */
static int build_id_hex(int fd, char *hex, size_t size)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	Elf_Scn *scn = NULL;
	int ret = -ENOENT;

	while (e && ret && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || !(d = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_descsz * 2 + 1 > size)
				continue;
			for (size_t i = 0; i < nh.n_descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", ((const uint8_t *)d->d_buf)[doff + i]);
			ret = 0;
			break;
		}
	}
	if (e)
		elf_end(e);
	return ret;
}

/* The wanted structs among cu's top-level DIEs into found/have; returns how many were new. */
static size_t scan_unit(Dwarf_Die *cu, Dwarf_Die *found, bool *have)
{
	Dwarf_Die d, st;
	size_t n = 0;

	if (dwarf_child(cu, &d))
		return 0;
	do {
		const char *name = dwarf_diename(&d);

		if (!name || (dwarf_tag(&d) != DW_TAG_typedef && dwarf_tag(&d) != DW_TAG_structure_type))
			continue;
		for (size_t i = 0; i < NR_DWARF_FIELDS; i++) {
			if (have[i] || strcmp(name, dwarf_fields[i].type) || !peel(&d, &st))
				continue;
			found[i] = st;
			have[i] = true;
			n++;
		}
	} while (dwarf_siblingof(&d, &d) == 0);
	return n;
}

static bool has_debug_info(int fd)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;

	if (e && !elf_getshdrstrndx(e, &shstrndx)) {
		while (!found && (scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			const char *name;

			found = gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS &&
				(name = elf_strptr(e, shstrndx, sh.sh_name)) && !strcmp(name, ".debug_info");
		}
	}
	if (e)
		elf_end(e);
	return found;
}

/* A Dwarf for path, or for its build-id debug file; fd OUT (caller closes). */
static Dwarf *open_dwarf(const char *path, const char *root, int *fd, char *dpath, size_t size)
{
	char hex[2 * 64 + 1];
	Dwarf *dw;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	/* dwarf_begin on a file without DWARF leaks in elfutils 0.188: look first */
	dw = has_debug_info(*fd) ? dwarf_begin(*fd, DWARF_C_READ) : NULL;
	if (dw) {
		snprintf(dpath, size, "%s", path);
		return dw;
	}
	if (build_id_hex(*fd, hex, sizeof(hex))) {
		close(*fd);
		*fd = -1;
		return NULL;
	}
	close(*fd);
	snprintf(dpath, size, "%s/.build-id/%.2s/%s.debug", root, hex, hex + 2);
	*fd = open(dpath, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	dw = dwarf_begin(*fd, DWARF_C_READ);
	if (!dw) {
		close(*fd);
		*fd = -1;
	}
	return dw;
}

int pylayout__from_dwarf(const char *path, const char *debug_root, unsigned major,
			 unsigned minor, struct nl_pylayout *out, char *debug_path, size_t size)
{
	Dwarf_Die found[NR_DWARF_FIELDS];
	bool have[NR_DWARF_FIELDS] = { 0 };
	size_t left = NR_DWARF_FIELDS, hsize;
	Dwarf_Off off, next;
	Dwarf *dw;
	int fd;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < NL_PY_FIELD_COUNT; i++)
		out->off[i] = N;
	out->major = major;
	out->minor = minor;
	out->origin = "DWARF";
	elf_version(EV_CURRENT);
	dw = open_dwarf(path, debug_root ? debug_root : "/usr/lib/debug", &fd, debug_path, size);
	if (!dw)
		return -ENOENT;
	/* The named typedefs at the top of each unit, until all are found:
	   first in the unit that defines the thread states (every struct read
	   is complete there), then, if some are missing, in every unit. */
	for (int pass = 0; pass < 2 && left; pass++) {
		for (off = 0; left && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0;
		     off = next) {
			Dwarf_Die cu;
			const char *cu_name;

			if (!dwarf_offdie(dw, off + hsize, &cu))
				continue;
			cu_name = dwarf_diename(&cu);
			if (pass == 0 && (!cu_name || strlen(cu_name) < 16 ||
					  strcmp(cu_name + strlen(cu_name) - 16, "Python/pystate.c")))
				continue;
			left -= scan_unit(&cu, found, have);
		}
	}
	for (size_t i = 0; i < NR_DWARF_FIELDS; i++) {
		long v;

		if (!have[i])
			continue;
		if (dwarf_fields[i].member)
			v = member_offset(&found[i], dwarf_fields[i].member);
		else
			v = dwarf_bytesize(&found[i]);
		if (v < 0 && dwarf_fields[i].f == NL_PY_FR_INSTR)
			v = member_offset(&found[i], "instr_ptr");
		if (v < 0 && dwarf_fields[i].f == NL_PY_FR_CODE)
			v = member_offset(&found[i], "f_executable");
		if (v >= 0 && v < N)
			out->off[dwarf_fields[i].f] = (uint16_t)v;
	}
	dwarf_end(dw);
	close(fd);
	return 0;
}
