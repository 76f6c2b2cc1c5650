/*
 * array.h - the one growable array helper.
 *
 * Owns nothing: callers keep (pointer, capacity) in their own structs and
 * call array__reserve before appending.  Promises: capacity doubles (from 16
 * elements), so n appends cost O(n) copies and allocate O(log n) times; a
 * call that needs no room allocates nothing; on failure the array and its
 * capacity are unchanged.  Does not: track the count, free, or zero memory.
 */
#ifndef NUMALENS_ARRAY_H
#define NUMALENS_ARRAY_H

#include <stddef.h>

/*
 * Makes *arr (of *cap elements of elem bytes) hold at least need elements.
 * OUT: *arr, *cap updated when it grew.  0, or -ENOMEM (also on size
 * overflow) with both unchanged.
 */
int array__reserve(void **arr, size_t *cap, size_t need, size_t elem);

#endif
