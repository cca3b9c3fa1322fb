// A bare gokrazy image (only gokrazy's own services) that make image-test
// boots beside the atomicbox image, as the boot-time baseline.
module gokrazy/build/hello

go 1.26

require (
	github.com/gokrazy/gokrazy v0.0.0-20260418085648-c38c3134b8a7
	github.com/gokrazy/kernel.amd64 v0.0.0-20260705070735-de680abf072b
)
