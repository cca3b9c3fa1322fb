// Pins every module of the Raspberry Pi image with gokrazy's stock kernel
// (make image PI_KERNEL=stock) (gok builds from here; the
// atomicbox packages come from this checkout through the replace below).
module gokrazy/build/rpi-stock

go 1.26

require (
	github.com/atomicnetwork/atomicbox v0.0.0-00010101000000-000000000000
	github.com/gokrazy/firmware v0.0.0-20260522070551-527ce0ed43cf
	github.com/gokrazy/gokrazy v0.0.0-20260418085648-c38c3134b8a7
	github.com/gokrazy/kernel.rpi v0.0.0-20251127164438-9778ec0261de
	github.com/gokrazy/serial-busybox v0.0.0-20250119153030-ac58ba7574e7
)

replace github.com/atomicnetwork/atomicbox => ../../..
