# Debian's arm64 kernel for the Raspberry Pi, booted through the Go
# initramfs (image/initramfs); included by the top Makefile after
# image/image.mk (it uses IMAGE_BUILD and GOK from there).
#
#   make kernel-rpi          image/build/kernel-rpi: the KernelPackage directory
#                            (vmlinuz, dtbs, overlays, lib/modules, initramfs)
#                            and image/build/kernel-rpi-firmware (Wi-Fi firmware)
#   make image-qemu-arm64    image/build/atomicbox-qemu-arm64.img (image/kernel/qemu-arm64)
#   make image-test-arm64    boots that image in qemu-system-aarch64 -M virt (TCG)
#                            through the same kernel and initramfs, up to atomicboxd's API
#   make image-test-wifi     Wi-Fi joining for real: Debian's amd64 kernel with
#                            mac80211_hwsim, hostapd and dnsmasq in QEMU (TCG), the
#                            daemon's Wi-Fi code on the other radio (scripts/wifi-test.sh,
#                            about 2 min)

KERNEL_RPI := $(IMAGE_BUILD)/kernel-rpi
KERNEL_RPI_INPUTS := $(shell find image/kernel image/initramfs image/kernelbuild -type f -not -path 'image/kernel/qemu-arm64/*' 2>/dev/null) scripts/kernel-build.sh

.PHONY: kernel-rpi image-qemu-arm64 image-test-arm64 image-test-wifi

$(KERNEL_RPI)/.stamp: $(KERNEL_RPI_INPUTS)
	@scripts/setup-debian.sh image
	scripts/kernel-build.sh $(KERNEL_RPI)
	touch $@

kernel-rpi: $(KERNEL_RPI)/.stamp

image-qemu-arm64: $(KERNEL_RPI)/.stamp $(GOK)
	@scripts/setup-debian.sh image
	scripts/image-build.sh image/kernel/qemu-arm64 $(IMAGE_BUILD)/atomicbox-qemu-arm64.img 1300234240

image-test-arm64: image-qemu-arm64
	scripts/kernel-test.sh $(IMAGE_BUILD)/atomicbox-qemu-arm64.img

image-test-wifi:
	@scripts/setup-debian.sh wifi
	scripts/wifi-test.sh

# The Pi image uses this kernel unless PI_KERNEL=stock (gokrazy's kernel.rpi,
# instance image/rpi-stock); image/image.mk picks the instance.
PI_KERNEL ?= debian
ifeq ($(PI_KERNEL),debian)
image: $(KERNEL_RPI)/.stamp
endif
