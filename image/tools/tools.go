//go:build tools

// Package tools pins the gokrazy build tool gok (built by image/image.mk).
package tools

import _ "github.com/gokrazy/tools/cmd/gok"
