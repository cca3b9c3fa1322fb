# gokrazy images; included by the top Makefile (`include image/image.mk`).
#
#   make image             image/build/atomicbox-rpi.img   (Pi 4/400, Pi 5; arm64)
#   make image-amd64       image/build/atomicbox-amd64.img (QEMU, x86-64 mini PCs)
#   make runtime           the libmpv runtime tars (cached in ~/.cache/atomicbox/runtime)
#   make image-test        flash refusals, the arm64 runtime under qemu-aarch64, then
#                          boots the amd64 image in QEMU and checks it (scripts/image-test.sh)
#   make flash DEV=/dev/sdX [IMG=...]   writes an image to a removable disk, after checks
#   make update HOST=name-or-ip [INSTANCE=rpi]  over-the-air update (gok update)
#   make gok               the pinned gok (image/tools/go.mod), built into $(GOK_DIR)

IMAGE_DIR := $(CURDIR)/image
IMAGE_BUILD := $(IMAGE_DIR)/build
GOK_DIR ?= $(HOME)/.cache/atomicbox/tools
GOK := $(GOK_DIR)/gok
IMAGE_SIZE ?= 2147483648
INSTANCE ?= rpi
export GOK

.PHONY: image image-amd64 image-hello image-test runtime runtime-amd64 runtime-arm64 flash update gok

# Rebuilt when image/tools/go.mod or go.sum change (the pin).
$(GOK): $(IMAGE_DIR)/tools/go.mod $(IMAGE_DIR)/tools/go.sum
	@scripts/setup-debian.sh image
	@mkdir -p $(GOK_DIR)
	cd $(IMAGE_DIR)/tools && CGO_ENABLED=0 $(GO) build -trimpath -o $(GOK).tmp github.com/gokrazy/tools/cmd/gok
	mv $(GOK).tmp $(GOK)

gok: $(GOK)

runtime: runtime-amd64 runtime-arm64
runtime-amd64 runtime-arm64: runtime-%:
	@scripts/setup-debian.sh image
	t=$$(scripts/runtime-tar.sh path $*); [ -f "$$t" ] || scripts/runtime-tar.sh build $* "$$t"

# The images are always rebuilt (gok decides what changed; warm builds are quick).
image: $(GOK)
	@scripts/setup-debian.sh image
	scripts/image-build.sh $(if $(filter stock,$(PI_KERNEL)),rpi-stock,rpi) $(IMAGE_BUILD)/atomicbox-rpi.img $(IMAGE_SIZE)

image-amd64: $(GOK)
	@scripts/setup-debian.sh image
	scripts/image-build.sh amd64 $(IMAGE_BUILD)/atomicbox-amd64.img $(IMAGE_SIZE)

image-hello: $(GOK)
	@scripts/setup-debian.sh image
	scripts/image-build.sh hello $(IMAGE_BUILD)/hello.img 1300234240

# Cheap checks first (flash refusals, the arm64 runtime under qemu-aarch64),
# then the QEMU boot test.
image-test: image-amd64 image-hello runtime-arm64
	scripts/flash-test.sh
	scripts/runtime-test.sh arm64
	scripts/image-test.sh $(IMAGE_BUILD)/atomicbox-amd64.img $(IMAGE_BUILD)/hello.img

flash:
	@test -n "$(DEV)" || { echo "usage: make flash DEV=/dev/sdX [IMG=image/build/atomicbox-rpi.img]"; exit 2; }
	scripts/flash.sh $(or $(IMG),$(IMAGE_BUILD)/atomicbox-rpi.img) $(DEV)

update: $(GOK)
	@test -n "$(HOST)" || { echo "usage: make update HOST=name-or-ip [INSTANCE=rpi|amd64]"; exit 2; }
	scripts/update.sh $(INSTANCE) $(HOST)
