/* symlib.c - the library symprog loads with dlopen (see symprog.c). */
#include <stddef.h>

__attribute__((noinline)) void lib_sink(volatile char *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

__attribute__((noinline)) void lib_touch(volatile char *buf, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		buf[i * 4096] = (char)i; /* MARK:lib */
	lib_sink(buf);
}
