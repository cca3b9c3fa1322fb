// Package bake writes the settings a network builds into its image (make
// image CHANNEL=… NETWORK_KEY=…), checked at build time so that a wrong
// value fails the build instead of shipping a box that refuses every catalog.
package bake

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/atomicnetwork/atomicbox/appliance/bootconfig"
)

// File returns the baked-settings file (the atomicbox.txt format, which
// atomicboxd -baked-config reads) for channel and key, both given or both
// empty. Empty means an image that knows no channel: the file then holds
// only a comment, and the box needs atomicbox.txt.
func File(channel, key string) ([]byte, error) {
	channel, key = strings.TrimSpace(channel), strings.TrimSpace(key)
	const none = "# No channel baked into this image (make image without CHANNEL=):\n# the box needs atomicbox.txt on its boot partition.\n"
	switch {
	case channel == "" && key == "":
		return []byte(none), nil
	case key == "":
		return nil, errors.New("CHANNEL given without NETWORK_KEY: a box cannot check the channel's catalogs without the network's public key (atomicpublish pubkey prints it)")
	case channel == "":
		return nil, errors.New("NETWORK_KEY given without CHANNEL: give both")
	}
	// The private key is also base64 and easy to paste by mistake; it must
	// never end up in an image anyone can download.
	if raw, err := base64.StdEncoding.DecodeString(key); err == nil && len(raw) == 64 {
		return nil, errors.New("NETWORK_KEY is 64 bytes: that is the network's private signing key; give its public key (atomicpublish pubkey -key FILE prints it)")
	}
	c := bootconfig.Config{Channel: channel, NetworkKey: key}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("CHANNEL/NETWORK_KEY: %w", err)
	}
	return append([]byte("# Baked in by make image; atomicbox.txt on the boot partition overrides it.\n"), bootconfig.Format(c)...), nil
}
