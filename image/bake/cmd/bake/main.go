// Command bake writes the settings file make image builds into the image
// (scripts/image-build.sh and scripts/update.sh run it) and fails with the
// reason when the channel or the network key is wrong. It writes only -o.
//
// Usage: bake -channel URL -network-key BASE64 -o FILE   (both empty: no channel)
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/atomicnetwork/atomicbox/image/bake"
)

func main() {
	channel := flag.String("channel", "", "the channel's base URL (make's CHANNEL)")
	key := flag.String("network-key", "", "the network's public key, base64 (make's NETWORK_KEY)")
	out := flag.String("o", "", "file to write")
	flag.Parse()
	if err := run(*channel, *key, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bake:", err)
		os.Exit(1)
	}
}

func run(channel, key, out string) error {
	if out == "" {
		return fmt.Errorf("no -o")
	}
	b, err := bake.File(channel, key)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}
