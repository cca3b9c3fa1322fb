// Package interop holds the test that atomicboxd trades pieces with other
// BitTorrent clients (transmission, aria2) on loopback, byte for byte.
package interop
