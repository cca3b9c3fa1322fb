// Pins every module of the Raspberry Pi image (Debian's kernel through the
// Go initramfs, built by make into image/build/kernel-rpi; image/rpi-stock
// keeps gokrazy's own kernel) (gok builds from here; the
// atomicbox packages come from this checkout through the replace below).
module gokrazy/build/rpi

go 1.26

require (
	github.com/atomicnetwork/atomicbox v0.0.0-00010101000000-000000000000
	github.com/atomicnetwork/atomicbox-kernel-rpi v0.0.0-00010101000000-000000000000
	github.com/gokrazy/firmware v0.0.0-20260522070551-527ce0ed43cf
	github.com/gokrazy/gokrazy v0.0.0-20260418085648-c38c3134b8a7
	github.com/gokrazy/serial-busybox v0.0.0-20250119153030-ac58ba7574e7
)

replace github.com/atomicnetwork/atomicbox => ../../..

replace github.com/atomicnetwork/atomicbox-kernel-rpi => ../../build/kernel-rpi
