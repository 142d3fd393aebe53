#include "CHDF5Shim.h"

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
