# gokrazy images; included by the top Makefile (`include image/image.mk`).
#
#   make image             image/build/atomicbox-rpi.img   (Pi 4/400, Pi 5; arm64)
#   make image-amd64       image/build/atomicbox-amd64.img (QEMU, x86-64 mini PCs)
#     both take CHANNEL=https://… NETWORK_KEY=<base64 public key>: the box
#     follows that channel with no file to edit (atomicbox.txt on the boot
#     partition still overrides it); a wrong key or URL fails the build
#   make runtime           the libmpv runtime tars (cached in ~/.cache/atomicbox/runtime)
#   make image-test        flash refusals, the arm64 runtime under qemu-aarch64, then
#                          boots the amd64 image in QEMU and checks it (scripts/image-test.sh)
#   make powercut-test     20 power cuts of the amd64 image in QEMU (scripts/powercut-test.sh;
#                          about 15 minutes, so not part of make test); POWERCUT_CUTS=N
#   make flash DEV=/dev/sdX [IMG=...]   writes an image to a removable disk, after checks
#   make update HOST=name-or-ip [INSTANCE=rpi] [CHANNEL=… NETWORK_KEY=…]
#                          over-the-air update (gok update); name the baked
#                          channel again, the new root file system replaces it
#   make gok               the pinned gok (image/tools/go.mod), built into $(GOK_DIR)

IMAGE_DIR := $(CURDIR)/image
IMAGE_BUILD := $(IMAGE_DIR)/build
GOK_DIR ?= $(HOME)/.cache/atomicbox/tools
GOK := $(GOK_DIR)/gok
IMAGE_SIZE ?= 2147483648
IMAGE_AMD64 ?= $(IMAGE_BUILD)/atomicbox-amd64.img
INSTANCE ?= rpi
export GOK

.PHONY: image image-amd64 image-hello image-test powercut-test runtime runtime-amd64 runtime-arm64 flash update gok

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
	scripts/image-build.sh amd64 $(IMAGE_AMD64) $(IMAGE_SIZE)

image-hello: $(GOK)
	@scripts/setup-debian.sh image
	scripts/image-build.sh hello $(IMAGE_BUILD)/hello.img 1300234240

# Cheap checks first (flash refusals, the arm64 runtime under qemu-aarch64),
# then the QEMU boot test of an amd64 image built as a network would build
# its own: the test channel (image-test.sh serves it on the host, which QEMU's
# user network shows as 10.0.2.2) and its key baked in. The signing key is
# made on first use, outside git.
IMAGE_TEST_CHANNEL := http://10.0.2.2:8970/
IMAGE_TEST_KEY := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/atomicbox/imagetest-network.key
# CGO_ENABLED=0 on every go run here: with cgo, anacrolix's dependencies
# build their C (SQLite, libutp), 90 s on a fresh CI machine for a key.
image-test: $(GOK) image-hello runtime-arm64
	scripts/flash-test.sh
	scripts/runtime-test.sh arm64
	key=$$(CGO_ENABLED=0 $(GO) run -tags $(TAGS) ./appliance/cmd/atomicpublish pubkey -key $(IMAGE_TEST_KEY)) && \
	  $(MAKE) image-amd64 CHANNEL=$(IMAGE_TEST_CHANNEL) NETWORK_KEY=$$key IMAGE_AMD64=$(IMAGE_BUILD)/atomicbox-amd64-test.img
	scripts/image-test.sh $(IMAGE_BUILD)/atomicbox-amd64-test.img $(IMAGE_BUILD)/hello.img

# The same amd64 image as image-test (its channel and key baked in), cut
# POWERCUT_CUTS times at random moments under load through the API; the last
# line is cuts= files_checked= bytes_compared= lost_acknowledged= corrupt=.
POWERCUT_CUTS ?= 20
powercut-test: $(GOK)
	key=$$(CGO_ENABLED=0 $(GO) run -tags $(TAGS) ./appliance/cmd/atomicpublish pubkey -key $(IMAGE_TEST_KEY)) && \
	  $(MAKE) image-amd64 CHANNEL=$(IMAGE_TEST_CHANNEL) NETWORK_KEY=$$key IMAGE_AMD64=$(IMAGE_BUILD)/atomicbox-amd64-test.img
	POWERCUT_CUTS=$(POWERCUT_CUTS) scripts/powercut-test.sh $(IMAGE_BUILD)/atomicbox-amd64-test.img

flash:
	@test -n "$(DEV)" || { echo "usage: make flash DEV=/dev/sdX [IMG=image/build/atomicbox-rpi.img]"; exit 2; }
	scripts/flash.sh $(or $(IMG),$(IMAGE_BUILD)/atomicbox-rpi.img) $(DEV)

update: $(GOK)
	@test -n "$(HOST)" || { echo "usage: make update HOST=name-or-ip [INSTANCE=rpi|amd64]"; exit 2; }
	scripts/update.sh $(INSTANCE) $(HOST)
