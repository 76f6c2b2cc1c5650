/*
 * pylayout.h - where CPython keeps what samplers/pyframes.c reads: the
 * offsets of the runtime, interpreter, thread state, frame, code object and
 * string fields, per version.
 *
 * Owns three sources of one struct nl_pylayout:
 *   1. built-in tables for 3.11 and 3.12 (LP64: x86-64 and aarch64 lay these
 *      structs out alike; taken from the headers and checked against the
 *      DWARF of Debian's 3.11.2 and of 3.11.7 / 3.12.1 builds);
 *   2. _Py_DebugOffsets for 3.13+ (CPython publishes it at the start of
 *      _PyRuntime for out-of-process readers): pylayout__from_debug_offsets;
 *   3. the DWARF of an interpreter (its own .debug_info, or the build-id
 *      file under /usr/lib/debug that python3.11-dbg installs), through
 *      libdw: pylayout__from_dwarf, to check a table against the binary.
 * Promises: a layout whose field is unknown has it at NL_PYOFF_NONE; the
 * tables are read-only.  Does not read any process (pyruntime.c does).
 */
#ifndef NUMALENS_PYLAYOUT_H
#define NUMALENS_PYLAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define NL_PYOFF_NONE 0xffffu

/* The fields read, in the order pylayout__field_name names them. */
enum nl_pyfield {
	NL_PY_RT_INTERP_HEAD,   /* _PyRuntime.interpreters.head */
	NL_PY_IS_THREADS_HEAD,  /* PyInterpreterState.threads.head */
	NL_PY_TS_NEXT,          /* PyThreadState.next */
	NL_PY_TS_CFRAME,        /* PyThreadState.cframe (3.11, 3.12) */
	NL_PY_TS_CURRENT_FRAME, /* PyThreadState.current_frame (3.13+) */
	NL_PY_TS_NATIVE_TID,    /* PyThreadState.native_thread_id */
	NL_PY_CF_CURRENT_FRAME, /* _PyCFrame.current_frame */
	NL_PY_FR_CODE,          /* _PyInterpreterFrame.f_code / f_executable */
	NL_PY_FR_PREVIOUS,
	NL_PY_FR_INSTR,         /* prev_instr (3.11, 3.12), instr_ptr (3.13+) */
	NL_PY_FR_OWNER,
	NL_PY_FR_IS_ENTRY,      /* 3.11 only: the activation's first frame */
	NL_PY_CO_FIRSTLINENO,
	NL_PY_CO_FILENAME,
	NL_PY_CO_NAME,
	NL_PY_CO_QUALNAME,
	NL_PY_CO_LINETABLE,
	NL_PY_CO_CODE_ADAPTIVE,
	NL_PY_BYTES_SIZE,       /* PyVarObject.ob_size of bytes */
	NL_PY_BYTES_DATA,       /* PyBytesObject.ob_sval */
	NL_PY_STR_LENGTH,       /* PyASCIIObject.length */
	NL_PY_STR_STATE,        /* PyASCIIObject.state (kind, compact, ascii bits) */
	NL_PY_STR_ASCII_SIZE,   /* sizeof(PyASCIIObject): compact ASCII data */
	NL_PY_STR_COMPACT_SIZE, /* sizeof(PyCompactUnicodeObject): other kinds */
	NL_PY_FIELD_COUNT
};

/* _PyInterpreterFrame.owner of the C-stack shim frame (3.12+). */
#define NL_PY_OWNED_BY_CSTACK 3

struct nl_pylayout {
	unsigned major, minor;
	const char *origin;     /* "built-in 3.11", "_Py_DebugOffsets", "DWARF" */
	uint16_t off[NL_PY_FIELD_COUNT];
	/* 3.13+: f_executable may be another object than a code object */
	int executable_may_not_be_code;
};

/* The built-in table of major.minor (3.11, 3.12), or NULL. */
const struct nl_pylayout *pylayout__builtin(unsigned major, unsigned minor);

/* "PyThreadState.native_thread_id" & co. */
const char *pylayout__field_name(enum nl_pyfield f);

/*
 * A 3.13+ layout from the _Py_DebugOffsets bytes at the start of
 * _PyRuntime (buf, len).  OUT: *out.  0, -EINVAL (no "xdebugpy" cookie, an
 * offset out of range) or -ENOTSUP (free-threaded build).
 */
int pylayout__from_debug_offsets(const uint8_t *buf, size_t len, unsigned major,
				 unsigned minor, struct nl_pylayout *out);

/*
 * The layout in the DWARF of the interpreter file path (itself, or its
 * build-id debug file under debug_root, "/usr/lib/debug" when NULL), for
 * major.minor: the fields named like the built-in table.  OUT: *out (fields
 * the DWARF lacks stay NL_PYOFF_NONE), *debug_path (where the DWARF was,
 * size bytes).  0, -ENOENT (no debug info), -ENOMEM.
 */
int pylayout__from_dwarf(const char *path, const char *debug_root, unsigned major,
			 unsigned minor, struct nl_pylayout *out, char *debug_path, size_t size);

#endif
