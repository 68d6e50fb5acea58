// HDF5 (Debian: libhdf5-dev, the serial build). Its type and property "constants" are macros
// that read library globals, which Swift cannot import: they are wrapped as functions here.
#ifndef RBM_CHDF5_SHIM_H
#define RBM_CHDF5_SHIM_H
#include <hdf5/serial/hdf5.h>

static inline hid_t rbm_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t rbm_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t rbm_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t rbm_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t rbm_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t rbm_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t rbm_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t rbm_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t rbm_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t rbm_h5s_all(void) { return H5S_ALL; }
static inline unsigned rbm_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned rbm_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned rbm_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline size_t rbm_h5t_variable(void) { return H5T_VARIABLE; }

/// Stops HDF5 printing its error stack to stderr: the Swift layer reports errors itself.
static inline void rbm_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
#endif
