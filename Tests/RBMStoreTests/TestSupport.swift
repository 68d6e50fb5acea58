import CHDF5
@testable import RBMStore

/// Removes a link, to build damaged files for the error tests.
func H5LdeleteForTests(_ file: HDF5File, _ name: String) {
    H5Ldelete(file.id, name, hid_t(H5P_DEFAULT))
}

/// Adds a hard link `link` to the object at `target` (HDF5 allows cycles of them).
func H5LcreateHardForTests(_ file: HDF5File, target: String, link: String) {
    H5Lcreate_hard(file.id, target, file.id, link, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
}
