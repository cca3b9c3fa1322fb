// The arm64 test image (make image-test-arm64): Debian's kernel package
// (built by scripts/kernel-build.sh into image/build/kernel-rpi) booted in
// QEMU's virt machine through the Go initramfs.
module gokrazy/build/qemu-arm64

go 1.26.0

require (
	github.com/atomicnetwork/atomicbox v0.0.0-00010101000000-000000000000
	github.com/atomicnetwork/atomicbox-kernel-rpi v0.0.0-00010101000000-000000000000
	github.com/gokrazy/firmware v0.0.0-20260522070551-527ce0ed43cf
	github.com/gokrazy/gokrazy v0.0.0-20260418085648-c38c3134b8a7
)

replace github.com/atomicnetwork/atomicbox => ../../../..

replace github.com/atomicnetwork/atomicbox-kernel-rpi => ../../../build/kernel-rpi
