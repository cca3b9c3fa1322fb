// Pins every module of the x86-64 image (QEMU, mini PCs) (gok builds from here; the
// atomicbox packages come from this checkout through the replace below).
module gokrazy/build/amd64

go 1.26.0

require (
	github.com/atomicnetwork/atomicbox v0.0.0-00010101000000-000000000000
	github.com/gokrazy/gokrazy v0.0.0-20260418085648-c38c3134b8a7
	github.com/gokrazy/kernel.amd64 v0.0.0-20260705070735-de680abf072b
	github.com/gokrazy/serial-busybox v0.0.0-20250119153030-ac58ba7574e7
)

replace github.com/atomicnetwork/atomicbox => ../../..
