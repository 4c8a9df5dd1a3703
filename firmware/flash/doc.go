// Package flash owns the router's persistent flash store: a directory (the
// mounted ext4 flash on the image, any directory on the host board) where
// every write is atomic — a crash at any point leaves the old or the new
// file, never a torn one — and the device handling that mounts the flash at
// boot, formats an empty one, and keeps a compressed raw image of a corrupt
// one aside before reformatting it.
package flash
