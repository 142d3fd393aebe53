// HDF5 exposes its type ids and flags as macros over library globals (H5T_NATIVE_FLOAT expands
// to H5OPEN H5T_NATIVE_FLOAT_g), which Swift cannot import. These functions return them.
#ifndef ATTNLAB_CHDF5SHIM_H
#define ATTNLAB_CHDF5SHIM_H
#include <hdf5.h>

hid_t attnlab_h5t_native_float(void);
hid_t attnlab_h5t_native_double(void);
hid_t attnlab_h5t_native_int32(void);
hid_t attnlab_h5t_native_int64(void);
hid_t attnlab_h5t_native_uint16(void);
hid_t attnlab_h5t_native_uint8(void);
hid_t attnlab_h5t_c_s1(void);
hid_t attnlab_h5p_default(void);
hid_t attnlab_h5p_file_access(void);
hid_t attnlab_h5p_dataset_create(void);
hid_t attnlab_h5p_link_create(void);
hid_t attnlab_h5s_all(void);
unsigned attnlab_h5f_acc_trunc(void);
unsigned attnlab_h5f_acc_excl(void);
unsigned attnlab_h5f_acc_rdonly(void);
unsigned attnlab_h5f_acc_rdwr(void);
unsigned attnlab_h5f_acc_swmr_write(void);
unsigned attnlab_h5f_acc_swmr_read(void);
hsize_t attnlab_h5s_unlimited(void);
int attnlab_h5f_libver_latest(void);
int attnlab_h5f_libver_v110(void);
/* Silences HDF5's default error-stack printing so errors surface as Swift errors instead. */
void attnlab_h5_silence_errors(void);

/* The remaining helpers wrap HDF5 idioms whose constants Swift cannot import (H5T_VARIABLE,
 * libver enums behind macros) so the Swift layer never hard-codes numeric values. */

/* File-access property list pinned to the newest file format, which SWMR requires. */
hid_t attnlab_h5p_latest_format_fapl(void);
/* Link-creation property list that creates missing intermediate groups, so "a/b/c" works. */
hid_t attnlab_h5p_intermediate_groups_lcpl(void);
/* Dataset-creation property list that allocates and zero-fills storage when the dataset is
 * created, so later writes (possibly under SWMR) never change the object's layout. */
hid_t attnlab_h5p_early_allocation_dcpl(void);
/* Variable-length UTF-8 string type: h5py reads it as str. Caller closes it. */
hid_t attnlab_h5t_vlen_utf8_string(void);
/* Fixed-length, NUL-padded UTF-8 string type of `length` bytes. Caller closes it. */
hid_t attnlab_h5t_fixed_utf8_string(size_t length);
/* Copies the most specific message on the calling thread's error stack into `buffer`
 * (always NUL-terminated) and clears the stack. Returns 0 when the stack was empty. */
int attnlab_h5_take_error_message(char *buffer, size_t capacity);

#endif
