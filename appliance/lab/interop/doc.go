// Package interop holds the tests that atomicboxd works with the programs
// around it, on loopback, byte for byte: other BitTorrent clients
// (transmission, aria2) trade pieces with it, and a network's real engines
// (nginx serving the origin with the README's configuration, opentracker
// as the tracker) carry a channel to three boxes.
package interop
