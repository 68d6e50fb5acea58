import CHDF5
@testable import RBMStore

/// Removes a link, to build damaged files for the error tests.
func H5LdeleteForTests(_ file: HDF5File, _ name: String) {
    H5Ldelete(file.id, name, hid_t(H5P_DEFAULT))
}
