package bootconfig

import (
	"fmt"
	"os"
)

// ReadBaked reads the settings built into the image (make image CHANNEL=…
// NETWORK_KEY=… writes them on the read-only root file system; see
// image/bake), in the atomicbox.txt format. They are the lowest layer: every
// field that atomicbox.txt, imported into the data dir, sets wins over them
// (Merge them as baked.Merge(imported)), so a person can still point a box
// at another channel. A file that is missing or does not parse is an error:
// the image names a file it should hold.
func ReadBaked(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("bootconfig: baked settings: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return Config{}, fmt.Errorf("baked settings %s: %w", path, err)
	}
	return c, nil
}
