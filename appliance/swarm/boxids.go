package swarm

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"slices"
	"sync"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/atomicnetwork/atomicbox/appliance/swarm/boxid"
)

// BoxIDs runs the atomicbox_id extension (package boxid): it announces the
// extension on every connection, proves this box's key to peers that
// announced it too, and remembers the key each peer proved, so the ledger
// can name the box it gave to (Key). A peer that sends a bad proof is
// simply not named; the connection goes on as with any other client.
//
// Concurrency: anacrolix calls the callbacks with its client lock held;
// they only touch BoxIDs' own state (mu) and send on new goroutines.
// Key and Forget are safe from any goroutine, including those callbacks.
type BoxIDs struct {
	key    ed25519.PrivateKey
	peerID [20]byte
	log    *slog.Logger

	mu    sync.Mutex
	conns map[*torrent.PeerConn]*boxIDConn
}

// boxIDConn is the exchange on one connection.
type boxIDConn struct {
	ours, theirs [boxid.NonceSize]byte
	hello        bool           // theirs is set
	early        *boxid.Message // a proof that overtook its hello (both are sent from goroutines)
	proved       bool
	key          [ed25519.PublicKeySize]byte
}

// NewBoxIDs returns the extension for a box with the given key.
func NewBoxIDs(key ed25519.PrivateKey, log *slog.Logger) *BoxIDs {
	if log == nil {
		log = slog.Default()
	}
	return &BoxIDs{key: key, log: log, conns: map[*torrent.PeerConn]*boxIDConn{}}
}

// Configure hooks the extension into tc; call it from Config.ConfigureClient
// (last: it fixes tc.PeerID, which the proofs sign, to a random one when
// none is set yet). Its PeerConnClosed step is Forget, which the caller
// chains (after the ledger's meter has read the name).
func (b *BoxIDs) Configure(tc *torrent.ClientConfig) {
	if tc.PeerID == "" {
		var id [20]byte
		copy(id[:], "-AB0001-")
		rand.Read(id[8:])
		tc.PeerID = string(id[:])
	}
	copy(b.peerID[:], tc.PeerID)
	tc.Callbacks.PeerConnAdded = append(tc.Callbacks.PeerConnAdded, func(pc *torrent.PeerConn) {
		// The map is the client's, shared by every connection: copy it.
		m := *pc.LocalLtepProtocolMap
		m.Index = slices.Clone(m.Index)
		m.AddUserProtocol(boxid.Extension)
		pc.LocalLtepProtocolMap = &m
	})
	tc.Callbacks.PeerConnReadExtensionMessage = append(tc.Callbacks.PeerConnReadExtensionMessage, b.read)
}

func (b *BoxIDs) read(ev torrent.PeerConnReadExtensionMessageEvent) {
	pc := ev.PeerConn
	if ev.ExtensionNumber == pp.HandshakeExtendedID {
		var d pp.ExtendedHandshakeMessage
		if bencode.Unmarshal(ev.Payload, &d) != nil {
			return
		}
		if _, ok := d.M[boxid.Extension]; !ok {
			return
		}
		c := &boxIDConn{}
		rand.Read(c.ours[:])
		b.mu.Lock()
		if _, again := b.conns[pc]; again {
			b.mu.Unlock()
			return // a second handshake: keep the first exchange
		}
		b.conns[pc] = c
		b.mu.Unlock()
		// After this callback returns, anacrolix records the peer's
		// extension IDs, which the write needs; it takes the lock, so it
		// runs then.
		go b.send(pc, boxid.Hello(c.ours))
		return
	}
	name, builtin, err := pc.LocalLtepProtocolMap.LookupId(ev.ExtensionNumber)
	if err != nil || builtin || name != boxid.Extension {
		return
	}
	m, err := boxid.Decode(ev.Payload)
	if err != nil {
		b.log.Debug("box id: bad message", "peer", pc.RemoteAddr, "err", err)
		return
	}
	t := pc.Torrent()
	if t == nil {
		return
	}
	b.mu.Lock()
	c := b.conns[pc]
	b.mu.Unlock()
	if c == nil {
		return // a message before the peer's handshake announced the extension
	}
	// Both bindings as their signers see them.
	ih := [20]byte(t.InfoHash())
	switch m.Kind {
	case boxid.KindHello:
		b.mu.Lock()
		first := !c.hello
		if first {
			c.theirs, c.hello = m.Nonce, true
		}
		early := c.early
		c.early = nil
		b.mu.Unlock()
		if !first {
			return // one proof per connection
		}
		sig := boxid.Sign(b.key, boxid.Binding{InfoHash: ih, Signer: b.peerID, Verifier: [20]byte(pc.PeerID), SignerNonce: c.ours, VerifierNonce: m.Nonce})
		go b.send(pc, boxid.Proof(b.key.Public().(ed25519.PublicKey), sig))
		if early != nil {
			b.check(pc, c, ih, *early)
		}
	case boxid.KindProof:
		b.mu.Lock()
		hello := c.hello
		if !hello && c.early == nil {
			c.early = &m
		}
		b.mu.Unlock()
		if hello {
			b.check(pc, c, ih, m)
		}
	}
}

// check verifies a proof against the connection's nonces (the hello's is
// set) and names the peer if it holds.
func (b *BoxIDs) check(pc *torrent.PeerConn, c *boxIDConn, ih [20]byte, m boxid.Message) {
	b.mu.Lock()
	theirs := c.theirs
	b.mu.Unlock()
	bind := boxid.Binding{InfoHash: ih, Signer: [20]byte(pc.PeerID), Verifier: b.peerID, SignerNonce: theirs, VerifierNonce: c.ours}
	if bytes.Equal(m.Key[:], b.key.Public().(ed25519.PublicKey)) || !boxid.Verify(m.Key, bind, m.Sig) {
		b.log.Info("box id: a peer's proof does not verify; not naming it", "peer", pc.RemoteAddr)
		return
	}
	b.mu.Lock()
	if !c.proved {
		c.proved, c.key = true, m.Key
	}
	b.mu.Unlock()
}

func (b *BoxIDs) send(pc *torrent.PeerConn, msg []byte) {
	if err := pc.WriteExtendedMessage(boxid.Extension, msg); err != nil {
		b.log.Debug("box id: send", "peer", pc.RemoteAddr, "err", err)
	}
}

// Key returns the box key the peer on pc proved, if it did.
func (b *BoxIDs) Key(pc *torrent.PeerConn) ([ed25519.PublicKeySize]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.conns[pc]; c != nil && c.proved {
		return c.key, true
	}
	return [ed25519.PublicKeySize]byte{}, false
}

// Forget drops what is known of pc; call it when the connection closes
// (ClientConfig.Callbacks.PeerConnClosed), after anything that needs the
// name has read it.
func (b *BoxIDs) Forget(pc *torrent.PeerConn) {
	b.mu.Lock()
	delete(b.conns, pc)
	b.mu.Unlock()
}
