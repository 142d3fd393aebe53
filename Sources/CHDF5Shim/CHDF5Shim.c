#include "CHDF5Shim.h"
#include <stdio.h>

hid_t attnlab_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
hid_t attnlab_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
hid_t attnlab_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
hid_t attnlab_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
hid_t attnlab_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
hid_t attnlab_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
hid_t attnlab_h5t_c_s1(void) { return H5T_C_S1; }
hid_t attnlab_h5p_default(void) { return H5P_DEFAULT; }
hid_t attnlab_h5p_file_access(void) { return H5P_FILE_ACCESS; }
hid_t attnlab_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
hid_t attnlab_h5p_link_create(void) { return H5P_LINK_CREATE; }
hid_t attnlab_h5s_all(void) { return H5S_ALL; }
unsigned attnlab_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
unsigned attnlab_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
unsigned attnlab_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
unsigned attnlab_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
unsigned attnlab_h5f_acc_swmr_write(void) { return H5F_ACC_SWMR_WRITE; }
unsigned attnlab_h5f_acc_swmr_read(void) { return H5F_ACC_SWMR_READ; }
hsize_t attnlab_h5s_unlimited(void) { return H5S_UNLIMITED; }
int attnlab_h5f_libver_latest(void) { return (int)H5F_LIBVER_LATEST; }
int attnlab_h5f_libver_v110(void) { return (int)H5F_LIBVER_V110; }
void attnlab_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

hid_t attnlab_h5p_latest_format_fapl(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return fapl;
    if (H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

hid_t attnlab_h5p_intermediate_groups_lcpl(void) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    if (lcpl < 0) return lcpl;
    if (H5Pset_create_intermediate_group(lcpl, 1) < 0 || H5Pset_char_encoding(lcpl, H5T_CSET_UTF8) < 0) {
        H5Pclose(lcpl);
        return -1;
    }
    return lcpl;
}

hid_t attnlab_h5p_early_allocation_dcpl(void) {
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0) return dcpl;
    if (H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0
        || H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC) < 0) {
        H5Pclose(dcpl);
        return -1;
    }
    return dcpl;
}

hid_t attnlab_h5t_vlen_utf8_string(void) {
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0) return type;
    if (H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
        H5Tclose(type);
        return -1;
    }
    return type;
}

hid_t attnlab_h5t_fixed_utf8_string(size_t length) {
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0) return type;
    if (H5Tset_size(type, length) < 0 || H5Tset_strpad(type, H5T_STR_NULLPAD) < 0
        || H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
        H5Tclose(type);
        return -1;
    }
    return type;
}

typedef struct {
    char *buffer;
    size_t capacity;
    int found;
} attnlab_error_sink;

static herr_t attnlab_keep_first_error(unsigned n, const H5E_error2_t *err, void *data) {
    (void)n;
    attnlab_error_sink *sink = data;
    if (sink->found || err->desc == NULL) return 0;
    snprintf(sink->buffer, sink->capacity, "%s (in %s)", err->desc, err->func_name ? err->func_name : "?");
    sink->found = 1;
    return 0;
}

int attnlab_h5_take_error_message(char *buffer, size_t capacity) {
    attnlab_error_sink sink = {buffer, capacity, 0};
    if (capacity > 0) buffer[0] = 0;
    /* Walking upward starts at the routine that detected the problem, the most telling entry. */
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, attnlab_keep_first_error, &sink);
    H5Eclear2(H5E_DEFAULT);
    return sink.found;
}
