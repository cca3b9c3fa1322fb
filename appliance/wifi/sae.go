package wifi

import (
	"bytes"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
)

// SAE (Simultaneous Authentication of Equals, the dragonfly key exchange
// of WPA3-Personal, IEEE 802.11-2020 12.4) on the one group every WPA3
// device must support: ECC group 19, NIST P-256. The password element
// (PWE) comes from hunting and pecking (12.4.4.2.2) or from hash-to-element
// (12.4.4.2.3, H2E); commit and confirm bodies are built and checked here,
// the frames that carry them are the Radio's business.
//
// Side channels: big.Int arithmetic is not constant-time. Hunting and
// pecking always runs its 40 rounds (the number of rounds does not
// depend on the password), but the quadratic-residue test and the square
// root still leak timing locally; the network only sees the commit. H2E
// derives the PWE from the password once per network, not per peer.

// SAE status codes in authentication frames (IEEE 802.11-2020 9.4.1.9).
const (
	StatusSuccess            = 0
	StatusAntiCloggingToken  = 76  // the AP wants its token echoed in a new commit
	StatusGroupNotSupported  = 77  // finite cyclic group not supported
	StatusSAEHashToElement   = 126 // commit uses H2E (and the token sits in a container element)
	saeGroup19               = 19
	saeHuntPeckRounds        = 40 // at least this many, whether or not found early (12.4.4.2.2)
	elementExtension         = 255
	extAntiCloggingContainer = 93
	saeScalarLen             = 32
	saeElementLen            = 64
	saeCommitLen             = 2 + saeScalarLen + saeElementLen
	saeConfirmLen            = 2 + sha256.Size
	saeKCKLen                = 32
	saePMKLen                = 32
	saePMKIDLen              = 16
	saeH2EExpandLen          = 48 // olen(p) + floor(olen(p)/2)
	saeH2ELabelU1            = "SAE Hash to Element u1 P1"
	saeH2ELabelU2            = "SAE Hash to Element u2 P2"
	saeHuntPeckLabel         = "SAE Hunting and Pecking"
	saeKeysLabel             = "SAE KCK and PMK"
	saeSSWUZ                 = -10 // Z of RFC 9380's simplified SWU for P-256
)

// Errors of the SAE exchange.
var (
	// ErrSAEConfirm: the peer's confirm does not match ours. Both sides
	// derived different keys, so the passwords differ.
	ErrSAEConfirm = errors.New("SAE confirm mismatch")
	// ErrSAECommit: the peer's commit is malformed, off the curve, or a
	// reflection of ours.
	ErrSAECommit = errors.New("SAE commit rejected")
)

var (
	p256   = elliptic.P256()
	p256P  = p256.Params().P
	p256N  = p256.Params().N
	p256B  = p256.Params().B
	p256A  = new(big.Int).Sub(p256P, big.NewInt(3)) // a = -3
	bigOne = big.NewInt(1)
)

// point is an affine point of P-256; nil x means the point at infinity.
type point struct{ x, y *big.Int }

func (pt point) bytes() []byte {
	b := make([]byte, saeElementLen)
	pt.x.FillBytes(b[:32])
	pt.y.FillBytes(b[32:])
	return b
}

func (pt point) neg() point {
	return point{pt.x, new(big.Int).Sub(p256P, pt.y)}
}

func scalarBytes(k *big.Int) []byte {
	b := make([]byte, saeScalarLen)
	k.FillBytes(b)
	return b
}

func mul(k *big.Int, pt point) point {
	x, y := p256.ScalarMult(pt.x, pt.y, scalarBytes(new(big.Int).Mod(k, p256N)))
	return point{x, y}
}

func add(a, b point) point {
	x, y := p256.Add(a.x, a.y, b.x, b.y)
	return point{x, y}
}

func (pt point) infinity() bool { return pt.x.Sign() == 0 && pt.y.Sign() == 0 }

// curveRHS is x³ + ax + b mod p.
func curveRHS(x *big.Int) *big.Int {
	y2 := new(big.Int).Mul(x, x)
	y2.Mul(y2, x)
	ax := new(big.Int).Mul(p256A, x)
	y2.Add(y2, ax)
	y2.Add(y2, p256B)
	return y2.Mod(y2, p256P)
}

func isQuadraticResidue(v *big.Int) bool {
	return big.Jacobi(v, p256P) == 1
}

// kdfSHA256 is KDF-Hash-Length of IEEE 802.11-2020 12.7.1.6.2 with
// SHA-256: HMAC(key, i || label || context || length) for i = 1, 2, ...,
// i and length (in bits) as 16-bit little-endian numbers, cut to bits.
func kdfSHA256(key []byte, label string, context []byte, bits int) []byte {
	n := (bits + 7) / 8
	out := make([]byte, 0, n+sha256.Size)
	for i := uint16(1); len(out) < n; i++ {
		m := hmac.New(sha256.New, key)
		var c [2]byte
		binary.LittleEndian.PutUint16(c[:], i)
		m.Write(c[:])
		m.Write([]byte(label))
		m.Write(context)
		binary.LittleEndian.PutUint16(c[:], uint16(bits))
		m.Write(c[:])
		out = m.Sum(out)
	}
	out = out[:n]
	if bits%8 != 0 {
		out[n-1] &= 0xff << (8 - bits%8)
	}
	return out
}

// macPair is MAX(a, b) || MIN(a, b) of two MAC addresses.
func macPair(a, b net.HardwareAddr) []byte {
	if bytes.Compare(a, b) < 0 {
		a, b = b, a
	}
	return append(append([]byte(nil), a...), b...)
}

// huntAndPeck derives the PWE from the password and both MAC addresses
// (IEEE 802.11-2020 12.4.4.2.2). The identifier, when not empty, is
// appended to the password as the standard does for password identifiers.
func huntAndPeck(password, identifier []byte, a, b net.HardwareAddr) (point, error) {
	key := macPair(a, b)
	prime := p256P.FillBytes(make([]byte, 32))
	var (
		found        bool
		x            *big.Int
		savedSeedLSB byte
	)
	for counter := 1; counter <= saeHuntPeckRounds || !found; counter++ {
		if counter > 255 {
			return point{}, errors.New("SAE: no password element found in 255 rounds")
		}
		m := hmac.New(sha256.New, key)
		m.Write(password)
		m.Write(identifier)
		m.Write([]byte{byte(counter)})
		seed := m.Sum(nil)
		v := new(big.Int).SetBytes(kdfSHA256(seed, saeHuntPeckLabel, prime, 256))
		if v.Cmp(p256P) >= 0 {
			continue
		}
		if !found && isQuadraticResidue(curveRHS(v)) {
			found, x, savedSeedLSB = true, v, seed[len(seed)-1]&1
		}
	}
	y := new(big.Int).ModSqrt(curveRHS(x), p256P)
	if y == nil {
		return point{}, errors.New("SAE: no square root for the password element")
	}
	pt := point{x, y}
	if byte(y.Bit(0)) != savedSeedLSB {
		pt = pt.neg()
	}
	return pt, nil
}

// SAEPasswordToken is PT, the password element's precursor of
// hash-to-element: derived from the SSID, the password and its
// identifier alone, so it can be computed once per network.
type SAEPasswordToken struct{ pt point }

// DeriveSAEPT computes PT (IEEE 802.11-2020 12.4.4.2.3) for group 19.
func DeriveSAEPT(ssid, password, identifier []byte) (*SAEPasswordToken, error) {
	seed, err := hkdf.Extract(sha256.New, append(append([]byte(nil), password...), identifier...), ssid)
	if err != nil {
		return nil, err
	}
	var pts [2]point
	for i, label := range []string{saeH2ELabelU1, saeH2ELabelU2} {
		v, err := hkdf.Expand(sha256.New, seed, label, saeH2EExpandLen)
		if err != nil {
			return nil, err
		}
		u := new(big.Int).Mod(new(big.Int).SetBytes(v), p256P)
		pts[i] = sswu(u)
	}
	pt := add(pts[0], pts[1])
	if pt.infinity() {
		return nil, errors.New("SAE: PT is the point at infinity")
	}
	return &SAEPasswordToken{pt}, nil
}

// sswu maps u to the curve with the simplified Shallue-van de
// Woestijne-Ulas method as IEEE 802.11-2020 12.4.4.2.3 writes it.
func sswu(u *big.Int) point {
	p := p256P
	z := new(big.Int).Mod(big.NewInt(saeSSWUZ), p)
	u2 := new(big.Int).Mul(u, u)
	u2.Mod(u2, p)
	zu2 := new(big.Int).Mul(z, u2)
	zu2.Mod(zu2, p)
	// m = z²u⁴ + zu²
	m := new(big.Int).Mul(zu2, zu2)
	m.Add(m, zu2)
	m.Mod(m, p)
	var x1 *big.Int
	if m.Sign() == 0 {
		// x1 = b / (z·a)
		za := new(big.Int).Mul(z, p256A)
		za.Mod(za, p)
		x1 = new(big.Int).Mul(p256B, new(big.Int).ModInverse(za, p))
	} else {
		// x1 = (-b/a)·(1 + 1/m)
		t := new(big.Int).ModInverse(m, p)
		t.Add(t, bigOne)
		nb := new(big.Int).Sub(p, p256B)
		x1 = new(big.Int).Mul(nb, new(big.Int).ModInverse(p256A, p))
		x1.Mod(x1, p)
		x1.Mul(x1, t)
	}
	x1.Mod(x1, p)
	gx1 := curveRHS(x1)
	x2 := new(big.Int).Mul(zu2, x1)
	x2.Mod(x2, p)
	gx2 := curveRHS(x2)
	x, v := x2, gx2
	if isQuadraticResidue(gx1) {
		x, v = x1, gx1
	}
	y := new(big.Int).ModSqrt(v, p)
	pt := point{x, y}
	if u.Bit(0) != y.Bit(0) {
		pt = pt.neg()
	}
	return pt
}

// pwe derives the PWE for two peers from PT (12.4.4.2.3): val =
// H(0³², MAX(a,b) || MIN(a,b)) mod (r−1) + 1, PWE = val·PT.
func (t *SAEPasswordToken) pwe(a, b net.HardwareAddr) (point, error) {
	m := hmac.New(sha256.New, make([]byte, 32))
	m.Write(macPair(a, b))
	val := new(big.Int).SetBytes(m.Sum(nil))
	val.Mod(val, new(big.Int).Sub(p256N, bigOne))
	val.Add(val, bigOne)
	pt := mul(val, t.pt)
	if pt.infinity() {
		return point{}, errors.New("SAE: PWE is the point at infinity")
	}
	return pt, nil
}

// SAE is one side of an SAE exchange with one peer. Both sides run the
// same protocol; the box is the station. Not safe for concurrent use.
type SAE struct {
	// H2E says the PWE came from hash-to-element: commits then carry
	// status 126 and the anti-clogging token in a container element.
	H2E bool

	pwe           point
	rand, mask    *big.Int
	scalar        *big.Int
	element       point
	peerScalar    *big.Int
	peerElement   point
	kck           [saeKCKLen]byte
	pmk           [saePMKLen]byte
	pmkid         [saePMKIDLen]byte
	sendConfirm   uint16
	peerCommitted bool
}

// NewSAEHuntAndPeck starts an exchange between own and peer whose PWE
// is found by hunting and pecking.
func NewSAEHuntAndPeck(password []byte, own, peer net.HardwareAddr) (*SAE, error) {
	pwe, err := huntAndPeck(password, nil, own, peer)
	if err != nil {
		return nil, err
	}
	return &SAE{pwe: pwe}, nil
}

// NewSAEH2E starts an exchange between own and peer whose PWE comes
// from pt (hash-to-element).
func NewSAEH2E(pt *SAEPasswordToken, own, peer net.HardwareAddr) (*SAE, error) {
	pwe, err := pt.pwe(own, peer)
	if err != nil {
		return nil, err
	}
	return &SAE{pwe: pwe, H2E: true}, nil
}

// randScalar draws a number in [2, r) from rnd.
func randScalar(rnd io.Reader) (*big.Int, error) {
	for i := 0; i < 100; i++ {
		var b [32]byte
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return nil, err
		}
		k := new(big.Int).SetBytes(b[:])
		if k.Cmp(bigOne) > 0 && k.Cmp(p256N) < 0 {
			return k, nil
		}
	}
	return nil, errors.New("SAE: the random source gives no usable scalar")
}

// Commit draws rand and mask from rnd (crypto/rand in production) and
// computes our commit scalar and element (12.4.5.3).
func (s *SAE) Commit(rnd io.Reader) error {
	for i := 0; i < 10; i++ {
		r, err := randScalar(rnd)
		if err != nil {
			return err
		}
		m, err := randScalar(rnd)
		if err != nil {
			return err
		}
		if err := s.commitWith(r, m); err == nil {
			return nil
		}
	}
	return errors.New("SAE: no usable commit scalar")
}

// commitWith sets rand and mask (the test vectors fix them).
func (s *SAE) commitWith(r, m *big.Int) error {
	sc := new(big.Int).Add(r, m)
	sc.Mod(sc, p256N)
	if sc.Cmp(bigOne) <= 0 {
		return errors.New("SAE: commit scalar too small")
	}
	s.rand, s.mask, s.scalar = r, m, sc
	s.element = mul(m, s.pwe).neg()
	return nil
}

// CommitBody is the SAE part of our commit frame (after algorithm,
// sequence number and status): group, the anti-clogging token when the
// peer asked for one, scalar and element (12.4.7.4). With H2E the token
// goes into an Anti-Clogging Token Container element at the end.
func (s *SAE) CommitBody(token []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, saeGroup19)
	if len(token) > 0 && !s.H2E {
		b = append(b, token...)
	}
	b = append(b, scalarBytes(s.scalar)...)
	b = append(b, s.element.bytes()...)
	if len(token) > 0 && s.H2E {
		b = append(b, elementExtension, byte(1+len(token)), extAntiCloggingContainer)
		b = append(b, token...)
	}
	return b
}

// CommitStatus is the status code our commit frames carry.
func (s *SAE) CommitStatus() uint16 {
	if s.H2E {
		return StatusSAEHashToElement
	}
	return StatusSuccess
}

// AntiCloggingToken extracts the token from the body of a commit
// answered with status 76 (group, then the token; with H2E the token is
// in its container element). An error means the body is not one.
func AntiCloggingToken(body []byte, h2e bool) ([]byte, error) {
	if len(body) < 2 || binary.LittleEndian.Uint16(body) != saeGroup19 {
		return nil, fmt.Errorf("%w: anti-clogging request for another group", ErrSAECommit)
	}
	rest := body[2:]
	if !h2e {
		if len(rest) == 0 {
			return nil, fmt.Errorf("%w: empty anti-clogging token", ErrSAECommit)
		}
		return append([]byte(nil), rest...), nil
	}
	for len(rest) >= 3 {
		n := int(rest[1])
		if n > len(rest)-2 {
			break
		}
		if rest[0] == elementExtension && n >= 1 && rest[2] == extAntiCloggingContainer {
			return append([]byte(nil), rest[3:2+n]...), nil
		}
		rest = rest[2+n:]
	}
	return nil, fmt.Errorf("%w: no anti-clogging token container", ErrSAECommit)
}

// ProcessCommit takes the peer's commit body (group, scalar, element and,
// for H2E, optional elements after them), checks it and derives KCK, PMK
// and PMKID (12.4.5.4). It may be called once per exchange.
func (s *SAE) ProcessCommit(body []byte) error {
	if len(body) < saeCommitLen {
		return fmt.Errorf("%w: %d bytes", ErrSAECommit, len(body))
	}
	if g := binary.LittleEndian.Uint16(body); g != saeGroup19 {
		return fmt.Errorf("%w: group %d", ErrSAECommit, g)
	}
	if !s.H2E && len(body) != saeCommitLen {
		// Hunting and pecking puts nothing after the element.
		return fmt.Errorf("%w: %d bytes, want %d", ErrSAECommit, len(body), saeCommitLen)
	}
	sc := new(big.Int).SetBytes(body[2 : 2+saeScalarLen])
	if sc.Cmp(bigOne) <= 0 || sc.Cmp(p256N) >= 0 {
		return fmt.Errorf("%w: scalar out of range", ErrSAECommit)
	}
	e := body[2+saeScalarLen : saeCommitLen]
	el := point{new(big.Int).SetBytes(e[:32]), new(big.Int).SetBytes(e[32:])}
	if el.x.Cmp(p256P) >= 0 || el.y.Cmp(p256P) >= 0 || !p256.IsOnCurve(el.x, el.y) {
		return fmt.Errorf("%w: element not on the curve", ErrSAECommit)
	}
	if sc.Cmp(s.scalar) == 0 && bytes.Equal(el.bytes(), s.element.bytes()) {
		return fmt.Errorf("%w: reflection of our own commit", ErrSAECommit)
	}
	s.peerScalar, s.peerElement = sc, el
	// K = rand·(peer-scalar·PWE + PEER-ELEMENT); k = F(K), its x.
	k := mul(s.rand, add(mul(sc, s.pwe), el))
	if k.infinity() {
		return fmt.Errorf("%w: shared secret is the point at infinity", ErrSAECommit)
	}
	m := hmac.New(sha256.New, make([]byte, 32))
	m.Write(k.x.FillBytes(make([]byte, 32)))
	keyseed := m.Sum(nil)
	ctx := new(big.Int).Add(s.scalar, sc)
	ctx.Mod(ctx, p256N)
	cb := scalarBytes(ctx)
	keys := kdfSHA256(keyseed, saeKeysLabel, cb, 8*(saeKCKLen+saePMKLen))
	copy(s.kck[:], keys[:saeKCKLen])
	copy(s.pmk[:], keys[saeKCKLen:])
	copy(s.pmkid[:], cb[:saePMKIDLen])
	s.peerCommitted = true
	return nil
}

func (s *SAE) confirm(sendConfirm uint16, sc1 *big.Int, e1 point, sc2 *big.Int, e2 point) []byte {
	m := hmac.New(sha256.New, s.kck[:])
	var c [2]byte
	binary.LittleEndian.PutUint16(c[:], sendConfirm)
	m.Write(c[:])
	m.Write(scalarBytes(sc1))
	m.Write(e1.bytes())
	m.Write(scalarBytes(sc2))
	m.Write(e2.bytes())
	return m.Sum(nil)
}

// ConfirmBody is our confirm frame's body: send-confirm and the confirm
// hash (12.4.5.5). Each call counts send-confirm up, as a resent confirm
// must.
func (s *SAE) ConfirmBody() ([]byte, error) {
	if !s.peerCommitted {
		return nil, errors.New("SAE: confirm before the peer's commit")
	}
	s.sendConfirm++
	b := binary.LittleEndian.AppendUint16(nil, s.sendConfirm)
	return append(b, s.confirm(s.sendConfirm, s.scalar, s.element, s.peerScalar, s.peerElement)...), nil
}

// VerifyConfirm checks the peer's confirm body (12.4.5.6). ErrSAEConfirm
// means the passwords differ.
func (s *SAE) VerifyConfirm(body []byte) error {
	if !s.peerCommitted {
		return errors.New("SAE: confirm before the peer's commit")
	}
	if len(body) != saeConfirmLen {
		return fmt.Errorf("%w: %d bytes", ErrSAEConfirm, len(body))
	}
	sc := binary.LittleEndian.Uint16(body)
	want := s.confirm(sc, s.peerScalar, s.peerElement, s.scalar, s.element)
	if subtle.ConstantTimeCompare(want, body[2:]) != 1 {
		return ErrSAEConfirm
	}
	return nil
}

// PMK is the pairwise master key the exchange agreed on, for the 4-way
// handshake; PMKID names it in the association request (12.7.1.3).
func (s *SAE) PMK() []byte   { return append([]byte(nil), s.pmk[:]...) }
func (s *SAE) PMKID() []byte { return append([]byte(nil), s.pmkid[:]...) }
