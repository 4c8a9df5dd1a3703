// Package image builds the erx firmware: it fetches a Debian kernel
// package, stages the kernel modules a board needs (with their dependency
// closure and load order), assembles the u-root initramfs with routerd as
// the uinit, wraps kernel and initramfs into a hybrid BIOS/UEFI ISO, and
// creates the seeded flash disk the router boots with.
//
// Everything here runs on the build host. Outputs live under the build
// directory described in docs/CONTRACTS.md.
package image
