package wifi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/mdlayher/packet"
	mwifi "github.com/mdlayher/wifi"
	"golang.org/x/sys/unix"
)

const ethPAE = 0x888e // EAPOL's EtherType

// NL80211 is a Radio on one station interface through the kernel's nl80211
// (any cfg80211 driver). WPA2-Personal runs the 4-way handshake in Go over
// an AF_PACKET socket and installs the keys with NL80211_CMD_NEW_KEY, unless
// the driver advertises NL80211_EXT_FEATURE_4WAY_HANDSHAKE_STA_PSK (as
// brcmfmac does), in which case the PMK is handed to the firmware.
// Safe for concurrent use; one Join at a time.
type NL80211 struct {
	log    *slog.Logger
	ifi    *net.Interface
	wc     *mwifi.Client
	wifi   *mwifi.Interface
	c      *genetlink.Conn // requests
	ev     *genetlink.Conn // the "mlme" multicast group
	fr     *genetlink.Conn // registered for SA Query responses; nil when the driver refused
	family genetlink.Family

	caps radioCaps // what the driver does itself or lets us do

	events chan genetlink.Message // mlme events for our interface

	mu       sync.Mutex
	linkStop context.CancelFunc // stops the current link's watcher
	bssid    net.HardwareAddr
}

// OpenNL80211 opens the station interface named ifname, or the first
// station interface when ifname is empty. It returns ErrNoRadio when there
// is none. Close releases it.
func OpenNL80211(ifname string, log *slog.Logger) (*NL80211, error) {
	wc, err := mwifi.New()
	if err != nil {
		return nil, fmt.Errorf("nl80211: %w: %w", ErrNoRadio, err)
	}
	ifis, err := wc.Interfaces()
	if err != nil {
		wc.Close()
		return nil, fmt.Errorf("nl80211 interfaces: %w", err)
	}
	var w *mwifi.Interface
	for _, i := range ifis {
		if i.Type == mwifi.InterfaceTypeStation && i.Name != "" && (ifname == "" || i.Name == ifname) {
			w = i
			break
		}
	}
	if w == nil {
		wc.Close()
		return nil, ErrNoRadio
	}
	r := &NL80211{log: log, wc: wc, wifi: w, events: make(chan genetlink.Message, 32)}
	if r.ifi, err = net.InterfaceByIndex(w.Index); err != nil {
		wc.Close()
		return nil, err
	}
	if err := r.open(); err != nil {
		r.Close()
		return nil, err
	}
	go r.readEvents()
	return r, nil
}

func (r *NL80211) open() error {
	var err error
	if r.c, err = genetlink.Dial(nil); err != nil {
		return err
	}
	if r.family, err = r.c.GetFamily(unix.NL80211_GENL_NAME); err != nil {
		return err
	}
	if r.ev, err = genetlink.Dial(nil); err != nil {
		return err
	}
	for _, g := range r.family.Groups {
		if g.Name == unix.NL80211_MULTICAST_GROUP_MLME {
			if err := r.ev.JoinGroup(g.ID); err != nil {
				return fmt.Errorf("join nl80211 mlme group: %w", err)
			}
		}
	}
	if r.fr, err = genetlink.Dial(nil); err != nil {
		return err
	}
	if err := r.registerSAQuery(); err != nil {
		r.log.Warn("wifi: no SA Query (unprotected deauthentications will be ignored)", "err", err)
		r.fr.Close()
		r.fr = nil
	}
	if r.caps, err = r.wiphyCaps(); err != nil {
		return fmt.Errorf("nl80211 wiphy features: %w", err)
	}
	if err := linkUp(r.ifi.Index); err != nil {
		return fmt.Errorf("bring %s up: %w", r.ifi.Name, err)
	}
	r.log.Info("wifi radio", "interface", r.ifi.Name, "phy", r.wifi.PHY, "handshake_offload", r.caps.handshakeOffload,
		"sae_host", r.caps.saeHost, "sae_offload", r.caps.saeOffload)
	return nil
}

// Interface is the network interface's name ("wlan0").
func (r *NL80211) Interface() string { return r.ifi.Name }

// Close releases the netlink sockets.
func (r *NL80211) Close() error {
	r.mu.Lock()
	if r.linkStop != nil {
		r.linkStop()
	}
	r.mu.Unlock()
	if r.ev != nil {
		r.ev.Close()
	}
	if r.fr != nil {
		r.fr.Close()
	}
	if r.c != nil {
		r.c.Close()
	}
	return r.wc.Close()
}

func (r *NL80211) readEvents() {
	for {
		msgs, _, err := r.ev.Receive()
		if err != nil {
			close(r.events)
			return
		}
		for _, m := range msgs {
			if ifindex(m.Data) != r.ifi.Index {
				continue
			}
			select {
			case r.events <- m:
			default:
				r.log.Warn("wifi: nl80211 event dropped", "cmd", m.Header.Command)
			}
		}
	}
}

func ifindex(data []byte) int {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return -1
	}
	for ad.Next() {
		if ad.Type() == unix.NL80211_ATTR_IFINDEX {
			return int(ad.Uint32())
		}
	}
	return -1
}

func (r *NL80211) execute(cmd uint8, flags netlink.HeaderFlags, enc func(ae *netlink.AttributeEncoder)) ([]genetlink.Message, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.NL80211_ATTR_IFINDEX, uint32(r.ifi.Index))
	if enc != nil {
		enc(ae)
	}
	b, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	return r.c.Execute(genetlink.Message{Header: genetlink.Header{Command: cmd, Version: r.family.Version}, Data: b},
		r.family.ID, netlink.Request|flags)
}

// wiphyCaps reads the radio's features from a (split) wiphy dump: the
// extended feature bits, the feature flags and the supported commands.
func (r *NL80211) wiphyCaps() (radioCaps, error) {
	var c radioCaps
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.NL80211_ATTR_WIPHY, uint32(r.wifi.PHY))
	ae.Flag(unix.NL80211_ATTR_SPLIT_WIPHY_DUMP, true)
	b, err := ae.Encode()
	if err != nil {
		return c, err
	}
	msgs, err := r.c.Execute(genetlink.Message{Header: genetlink.Header{Command: unix.NL80211_CMD_GET_WIPHY, Version: r.family.Version}, Data: b},
		r.family.ID, netlink.Request|netlink.Dump)
	if err != nil {
		return c, err
	}
	var (
		ext        []byte
		features   uint32
		canAuth    bool
		extFeature = func(f int) bool { return f/8 < len(ext) && ext[f/8]&(1<<(f%8)) != 0 }
	)
	for _, m := range msgs {
		ad, err := netlink.NewAttributeDecoder(m.Data)
		if err != nil {
			return c, err
		}
		for ad.Next() {
			switch ad.Type() {
			case unix.NL80211_ATTR_EXT_FEATURES:
				ext = append([]byte(nil), ad.Bytes()...)
			case unix.NL80211_ATTR_FEATURE_FLAGS:
				features = ad.Uint32()
			case unix.NL80211_ATTR_SUPPORTED_COMMANDS:
				ad.Nested(func(nad *netlink.AttributeDecoder) error {
					for nad.Next() {
						if nad.Uint32() == unix.NL80211_CMD_AUTHENTICATE {
							canAuth = true
						}
					}
					return nil
				})
			}
		}
		if err := ad.Err(); err != nil {
			return c, err
		}
	}
	c.handshakeOffload = extFeature(unix.NL80211_EXT_FEATURE_4WAY_HANDSHAKE_STA_PSK)
	c.saeOffload = extFeature(unix.NL80211_EXT_FEATURE_SAE_OFFLOAD)
	c.saeHost = features&unix.NL80211_FEATURE_SAE != 0 && canAuth
	return c, nil
}

// Scan asks the radio for a fresh scan (blocking until the results are in
// or ctx ends) and returns every BSS it saw. A busy radio is retried.
func (r *NL80211) Scan(ctx context.Context) ([]BSS, error) {
	for {
		err := r.triggerScan(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EBUSY) {
			return nil, fmt.Errorf("scan: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	msgs, err := r.execute(unix.NL80211_CMD_GET_SCAN, netlink.Dump, nil)
	if err != nil {
		return nil, fmt.Errorf("scan results: %w", err)
	}
	var out []BSS
	for _, m := range msgs {
		if b, ok := parseScanMessage(m.Data); ok {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SignalDBm > out[j].SignalDBm })
	return out, nil
}

// triggerScan asks for an active scan of every channel (wildcard SSID)
// that first flushes the kernel's cached results, so that an access point
// that went away and came back is seen at once rather than when its old
// entry expires (30 s: measured in the QEMU test), and waits for the
// results or ctx.
func (r *NL80211) triggerScan(ctx context.Context) error {
	c, err := genetlink.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, g := range r.family.Groups {
		if g.Name == unix.NL80211_MULTICAST_GROUP_SCAN {
			if err := c.JoinGroup(g.ID); err != nil {
				return fmt.Errorf("join nl80211 scan group: %w", err)
			}
		}
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.NL80211_ATTR_IFINDEX, uint32(r.ifi.Index))
	ae.Nested(unix.NL80211_ATTR_SCAN_SSIDS, func(nae *netlink.AttributeEncoder) error {
		nae.Bytes(1, []byte{}) // one wildcard SSID
		return nil
	})
	ae.Uint32(unix.NL80211_ATTR_SCAN_FLAGS, unix.NL80211_SCAN_FLAG_FLUSH)
	b, err := ae.Encode()
	if err != nil {
		return err
	}
	if _, err := c.Send(genetlink.Message{Header: genetlink.Header{Command: unix.NL80211_CMD_TRIGGER_SCAN, Version: r.family.Version}, Data: b},
		r.family.ID, netlink.Request|netlink.Acknowledge); err != nil {
		return err
	}
	for {
		msgs, _, err := c.Receive() // the acknowledgement (or its error), then events
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		for _, m := range msgs {
			if ifindex(m.Data) != r.ifi.Index {
				continue
			}
			switch m.Header.Command {
			case unix.NL80211_CMD_NEW_SCAN_RESULTS:
				return nil
			case unix.NL80211_CMD_SCAN_ABORTED:
				return fmt.Errorf("%w: scan aborted", ErrRadio)
			}
		}
	}
}

// parseScanMessage decodes one NL80211_CMD_NEW_SCAN_RESULTS message.
func parseScanMessage(data []byte) (BSS, bool) {
	var b BSS
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return b, false
	}
	found := false
	for ad.Next() {
		if ad.Type() != unix.NL80211_ATTR_BSS {
			continue
		}
		ad.Nested(func(nad *netlink.AttributeDecoder) error {
			for nad.Next() {
				switch nad.Type() {
				case unix.NL80211_BSS_BSSID:
					b.BSSID = net.HardwareAddr(append([]byte(nil), nad.Bytes()...))
				case unix.NL80211_BSS_FREQUENCY:
					b.FreqMHz = int(nad.Uint32())
				case unix.NL80211_BSS_SIGNAL_MBM:
					b.SignalDBm = int(int32(nad.Uint32())) / 100
				case unix.NL80211_BSS_CAPABILITY:
					b.Privacy = nad.Uint16()&0x10 != 0
				case unix.NL80211_BSS_INFORMATION_ELEMENTS:
					b.SSID, b.RSN, b.RSNXE = parseIEs(nad.Bytes())
				}
			}
			return nil
		})
		found = len(b.BSSID) == 6
	}
	return b, found && err == nil
}

// Join associates with bss and, for WPA2/WPA3-Personal, runs or
// offloads SAE and the 4-way handshake (planJoin chooses). It returns
// once the port is open, with a channel closed when the link is lost.
//
// Paths: open, WPA2 and firmware SAE go through NL80211_CMD_CONNECT (the
// kernel's or the firmware's SME). SAE on a driver that takes it from the
// host (mac80211) goes through NL80211_CMD_AUTHENTICATE (commit and
// confirm in NL80211_ATTR_AUTH_DATA) and NL80211_CMD_ASSOCIATE, then the
// 4-way handshake in Go. Drivers that need NL80211_CMD_EXTERNAL_AUTH are
// not served: planJoin sees no SAE capability on them.
func (r *NL80211) Join(ctx context.Context, n Network, bss BSS) (<-chan struct{}, error) {
	r.stopLink()
	r.drainEvents()
	plan, err := planJoin(n, bss, r.caps)
	if err != nil {
		return nil, err
	}
	var (
		pmk       []byte
		eap       *eapolSocket
		sup       *Supplicant
		hostSAE   = plan.sae && r.caps.saeHost
		offloaded = plan.akm != 0 && r.caps.handshakeOffload && !hostSAE // the firmware runs the 4-way handshake
	)
	if plan.akm == AKMPSK {
		if pmk, err = PMK(n.SSID, n.Passphrase); err != nil {
			return nil, err
		}
	}
	if plan.akm != 0 && !offloaded {
		// Listen before associating: message 1 follows at once.
		if eap, err = listenEAPOL(r.ifi); err != nil {
			return nil, err
		}
		defer func() {
			if eap != nil {
				eap.Close()
			}
		}()
	}
	fail := func(err error) (<-chan struct{}, error) {
		r.disconnect()
		if hostSAE {
			r.deauthenticate(bss.BSSID)
		}
		return nil, err
	}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var rsnIE, msg2Data []byte
	if hostSAE {
		begin := time.Now()
		sae, err := r.saeAuthenticate(actx, n, bss, plan.h2e)
		if err != nil {
			return fail(err)
		}
		r.log.Info("wifi: SAE authenticated", "bssid", bss.BSSID.String(), "h2e", plan.h2e, "took", time.Since(begin).Round(time.Millisecond))
		pmk = sae.PMK()
		plan.rsn.PMKIDs = [][]byte{sae.PMKID()}
		rsnIE = plan.rsn.Marshal()
		msg2Data = rsnIE
		if plan.h2e {
			// Our RSNXE says we used H2E, so that the access point can
			// tell a downgrade to hunting and pecking.
			msg2Data = append(append([]byte(nil), rsnIE...), ieRSNX, 1, rsnxeSAEH2E)
		}
		_, err = r.execute(unix.NL80211_CMD_ASSOCIATE, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
			ae.Bytes(unix.NL80211_ATTR_SSID, []byte(n.SSID))
			ae.Bytes(unix.NL80211_ATTR_MAC, bss.BSSID)
			ae.Uint32(unix.NL80211_ATTR_WIPHY_FREQ, uint32(bss.FreqMHz))
			ae.Bytes(unix.NL80211_ATTR_IE, msg2Data)
			r.cryptoAttrs(ae, plan)
		})
		if err != nil {
			return fail(fmt.Errorf("%w: associate: %w", ErrRadio, err))
		}
	} else {
		if plan.akm != 0 {
			rsnIE = plan.rsn.Marshal()
			msg2Data = rsnIE
		}
		_, err = r.execute(unix.NL80211_CMD_CONNECT, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
			ae.Bytes(unix.NL80211_ATTR_SSID, []byte(n.SSID))
			ae.Bytes(unix.NL80211_ATTR_MAC, bss.BSSID)
			ae.Uint32(unix.NL80211_ATTR_WIPHY_FREQ, uint32(bss.FreqMHz))
			if plan.sae {
				ae.Uint32(unix.NL80211_ATTR_AUTH_TYPE, unix.NL80211_AUTHTYPE_SAE)
				ae.Bytes(unix.NL80211_ATTR_SAE_PASSWORD, []byte(n.Passphrase))
			} else {
				ae.Uint32(unix.NL80211_ATTR_AUTH_TYPE, unix.NL80211_AUTHTYPE_OPEN_SYSTEM)
			}
			if plan.akm != 0 {
				ae.Bytes(unix.NL80211_ATTR_IE, rsnIE)
				r.cryptoAttrs(ae, plan)
			}
			if offloaded {
				ae.Flag(unix.NL80211_ATTR_WANT_1X_4WAY_HS, true)
				if pmk != nil {
					ae.Bytes(unix.NL80211_ATTR_PMK, pmk)
				}
			}
		})
		if err != nil {
			if errors.Is(err, unix.EALREADY) {
				r.Leave(ctx)
			}
			return nil, fmt.Errorf("%w: connect: %w", ErrRadio, err)
		}
	}
	// Association.
	for connected := false; !connected; {
		m, err := r.nextEvent(actx)
		if err != nil {
			return fail(fmt.Errorf("%w: no association with %s: %w", ErrNotFound, n.SSID, err))
		}
		switch m.Header.Command {
		case unix.NL80211_CMD_CONNECT, unix.NL80211_CMD_ASSOCIATE:
			status, timedOut := connectStatus(m.Data)
			if timedOut {
				return fail(fmt.Errorf("%w: %s did not answer", ErrNotFound, n.SSID))
			}
			if status != 0 {
				return fail(fmt.Errorf("%w: %s refused the association (status %d)", ErrRadio, n.SSID, status))
			}
			connected = true
		case unix.NL80211_CMD_DISCONNECT:
			return fail(fmt.Errorf("%w: %s disconnected during association", ErrNotFound, n.SSID))
		}
	}
	if plan.akm != 0 {
		hctx, cancel := context.WithTimeout(ctx, 12*time.Second)
		defer cancel()
		if offloaded {
			if err := r.waitAuthorized(hctx); err != nil {
				return fail(err)
			}
		} else {
			sup = &Supplicant{PMK: pmk, AA: bss.BSSID, SPA: r.ifi.HardwareAddr, RSN: msg2Data, APRSN: bss.RSN,
				Rand: rand.Reader, AKM: plan.akm, MFP: plan.mfp}
			if err := r.handshake(hctx, sup, eap); err != nil {
				return fail(err)
			}
		}
	}
	lctx, stop := context.WithCancel(context.Background())
	lost := make(chan struct{})
	r.mu.Lock()
	r.linkStop, r.bssid = stop, bss.BSSID
	r.mu.Unlock()
	go r.watchLink(lctx, stop, lost, bss, plan.mfp)
	if sup != nil {
		// The socket now serves group rekeys until the link ends.
		go func(eap *eapolSocket) {
			defer eap.Close()
			err := sup.GroupRekey(lctx, eap, func(g GTK, rsc [6]byte, ig *IGTK) error {
				if err := r.newKey(nil, g.ID, g.Key, rsc[:], CipherCCMP); err != nil {
					return err
				}
				if ig != nil {
					return r.newKey(nil, ig.ID, ig.Key, ig.IPN[:], CipherBIP)
				}
				return nil
			})
			if lctx.Err() == nil {
				r.log.Warn("wifi: group rekeying stopped", "err", err)
			}
		}(eap)
		eap = nil
	}
	return lost, nil
}

// cryptoAttrs are the RSN settings of CONNECT and ASSOCIATE.
func (r *NL80211) cryptoAttrs(ae *netlink.AttributeEncoder, plan joinPlan) {
	ae.Flag(unix.NL80211_ATTR_PRIVACY, true)
	ae.Uint32(unix.NL80211_ATTR_WPA_VERSIONS, unix.NL80211_WPA_VERSION_2)
	ae.Uint32(unix.NL80211_ATTR_CIPHER_SUITES_PAIRWISE, CipherCCMP)
	ae.Uint32(unix.NL80211_ATTR_CIPHER_SUITE_GROUP, plan.rsn.Group)
	ae.Uint32(unix.NL80211_ATTR_AKM_SUITES, plan.akm)
	ae.Flag(unix.NL80211_ATTR_CONTROL_PORT, true)
	if plan.mfp {
		ae.Uint32(unix.NL80211_ATTR_USE_MFP, unix.NL80211_MFP_REQUIRED)
	}
}

// saeAuthenticate runs SAE with bss through NL80211_CMD_AUTHENTICATE: our
// commit (again with the token when the access point asks for one), its
// commit, our confirm, its confirm. It returns the finished exchange.
// Errors: ErrWrongPassphrase when the confirms disagree or the access
// point refuses or ignores our confirm; ErrNotFound when it never
// answers our commit.
func (r *NL80211) saeAuthenticate(ctx context.Context, n Network, bss BSS, h2e bool) (*SAE, error) {
	var (
		sae *SAE
		err error
	)
	if h2e {
		pt, err := DeriveSAEPT([]byte(n.SSID), []byte(n.Passphrase), nil)
		if err != nil {
			return nil, err
		}
		sae, err = NewSAEH2E(pt, r.ifi.HardwareAddr, bss.BSSID)
	} else {
		sae, err = NewSAEHuntAndPeck([]byte(n.Passphrase), r.ifi.HardwareAddr, bss.BSSID)
	}
	if err != nil {
		return nil, err
	}
	if err := sae.Commit(rand.Reader); err != nil {
		return nil, err
	}
	send := func(seq, status uint16, body []byte) error {
		data := binary.LittleEndian.AppendUint16(nil, seq)
		data = binary.LittleEndian.AppendUint16(data, status)
		data = append(data, body...)
		_, err := r.execute(unix.NL80211_CMD_AUTHENTICATE, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
			ae.Bytes(unix.NL80211_ATTR_MAC, bss.BSSID)
			ae.Uint32(unix.NL80211_ATTR_WIPHY_FREQ, uint32(bss.FreqMHz))
			ae.Bytes(unix.NL80211_ATTR_SSID, []byte(n.SSID))
			ae.Uint32(unix.NL80211_ATTR_AUTH_TYPE, unix.NL80211_AUTHTYPE_SAE)
			ae.Bytes(unix.NL80211_ATTR_AUTH_DATA, data)
		})
		if err != nil {
			return fmt.Errorf("%w: authenticate: %w", ErrRadio, err)
		}
		return nil
	}
	if err := send(1, sae.CommitStatus(), sae.CommitBody(nil)); err != nil {
		return nil, err
	}
	confirmed, tokens := false, 0
	for {
		m, err := r.nextEvent(ctx)
		if err != nil {
			if confirmed {
				return nil, fmt.Errorf("%w: no SAE confirm from %s", ErrWrongPassphrase, n.SSID)
			}
			return nil, fmt.Errorf("%w: no SAE commit from %s: %w", ErrNotFound, n.SSID, err)
		}
		switch m.Header.Command {
		case unix.NL80211_CMD_DISCONNECT, unix.NL80211_CMD_DEAUTHENTICATE:
			if confirmed {
				return nil, fmt.Errorf("%w: %s dropped us after our SAE confirm", ErrWrongPassphrase, n.SSID)
			}
			return nil, fmt.Errorf("%w: %s dropped us during SAE", ErrNotFound, n.SSID)
		case unix.NL80211_CMD_AUTHENTICATE:
		default:
			continue
		}
		f, timedOut := authFrame(m.Data)
		if timedOut {
			if confirmed {
				return nil, fmt.Errorf("%w: %s did not answer our SAE confirm", ErrWrongPassphrase, n.SSID)
			}
			return nil, fmt.Errorf("%w: %s did not answer our SAE commit", ErrNotFound, n.SSID)
		}
		if f == nil || f.alg != authAlgSAE {
			continue
		}
		switch {
		case f.seq == 1 && f.status == StatusAntiCloggingToken:
			tok, err := AntiCloggingToken(f.body, sae.H2E)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrRadio, err)
			}
			if tokens++; tokens > 3 {
				return nil, fmt.Errorf("%w: %s keeps asking for anti-clogging tokens", ErrRadio, n.SSID)
			}
			r.log.Info("wifi: SAE anti-clogging token requested", "bssid", bss.BSSID.String(), "token_bytes", len(tok))
			if err := send(1, sae.CommitStatus(), sae.CommitBody(tok)); err != nil {
				return nil, err
			}
		case f.seq == 1 && f.status == StatusGroupNotSupported:
			return nil, fmt.Errorf("%w: %s does not offer SAE group 19", ErrUnsupported, n.SSID)
		case f.seq == 1 && (f.status == StatusSuccess || f.status == StatusSAEHashToElement):
			if (f.status == StatusSAEHashToElement) != sae.H2E || confirmed {
				return nil, fmt.Errorf("%w: unexpected SAE commit (status %d) from %s", ErrRadio, f.status, n.SSID)
			}
			if err := sae.ProcessCommit(f.body); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrRadio, err)
			}
			c, err := sae.ConfirmBody()
			if err != nil {
				return nil, err
			}
			if err := send(2, StatusSuccess, c); err != nil {
				return nil, err
			}
			confirmed = true
		case f.seq == 2 && f.status == StatusSuccess && confirmed:
			if err := sae.VerifyConfirm(f.body); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrWrongPassphrase, err)
			}
			return sae, nil
		case f.seq == 2 && confirmed:
			return nil, fmt.Errorf("%w: %s refused our SAE confirm (status %d)", ErrWrongPassphrase, n.SSID, f.status)
		default:
			return nil, fmt.Errorf("%w: SAE frame %d with status %d from %s", ErrRadio, f.seq, f.status, n.SSID)
		}
	}
}

// deauthenticate drops what the kernel keeps of an authentication (after a
// failed SAE it still holds one), so the next attempt starts clean.
func (r *NL80211) deauthenticate(bssid net.HardwareAddr) {
	r.execute(unix.NL80211_CMD_DEAUTHENTICATE, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(unix.NL80211_ATTR_MAC, bssid)
		ae.Uint16(unix.NL80211_ATTR_REASON_CODE, 3) // deauthenticated because the station is leaving
	})
}

// handshake runs s's 4-way handshake while watching for the access point
// dropping us (a wrong passphrase ends in a deauthentication), installs the
// keys (the IGTK too under MFP) and opens the port.
func (r *NL80211) handshake(ctx context.Context, s *Supplicant, eap *eapolSocket) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dropped := make(chan struct{})
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for {
			m, err := r.nextEventOr(ctx, stopWatch)
			if err != nil {
				return
			}
			if m.Header.Command == unix.NL80211_CMD_DISCONNECT {
				close(dropped)
				cancel()
				return
			}
		}
	}()
	aa := s.AA
	keys, err := s.Handshake(ctx, eap)
	close(stopWatch)
	<-watchDone
	if err == nil {
		select {
		case <-dropped: // dropped right after message 4
			return fmt.Errorf("%w: dropped after the handshake", ErrNotFound)
		default:
		}
	}
	if err != nil {
		select {
		case <-dropped:
			if errors.Is(err, ErrWrongPassphrase) || errors.Is(err, context.Canceled) {
				return ErrWrongPassphrase
			}
		default:
		}
		return err
	}
	if err := r.newKey(aa, 0, keys.PTK.TK[:], nil, CipherCCMP); err != nil {
		return fmt.Errorf("%w: install pairwise key: %w", ErrRadio, err)
	}
	if err := r.newKey(nil, keys.GTK.ID, keys.GTK.Key, keys.GTKRSC[:], CipherCCMP); err != nil {
		return fmt.Errorf("%w: install group key: %w", ErrRadio, err)
	}
	if keys.IGTK != nil {
		if err := r.newKey(nil, keys.IGTK.ID, keys.IGTK.Key, keys.IGTK.IPN[:], CipherBIP); err != nil {
			return fmt.Errorf("%w: install integrity group key: %w", ErrRadio, err)
		}
	}
	if err := r.authorize(aa); err != nil {
		return fmt.Errorf("%w: open the port: %w", ErrRadio, err)
	}
	return nil
}

// newKey installs a key: pairwise when mac is set, else group (index
// 1-3, CCMP) or integrity group (index 4-5, BIP-CMAC-128).
func (r *NL80211) newKey(mac []byte, idx int, key, seq []byte, cipher uint32) error {
	_, err := r.execute(unix.NL80211_CMD_NEW_KEY, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(unix.NL80211_ATTR_KEY_DATA, key)
		ae.Uint8(unix.NL80211_ATTR_KEY_IDX, uint8(idx))
		ae.Uint32(unix.NL80211_ATTR_KEY_CIPHER, cipher)
		if mac != nil {
			ae.Bytes(unix.NL80211_ATTR_MAC, mac)
			ae.Uint32(unix.NL80211_ATTR_KEY_TYPE, unix.NL80211_KEYTYPE_PAIRWISE)
		} else {
			ae.Uint32(unix.NL80211_ATTR_KEY_TYPE, unix.NL80211_KEYTYPE_GROUP)
		}
		if seq != nil {
			ae.Bytes(unix.NL80211_ATTR_KEY_SEQ, seq)
		}
	})
	return err
}

func (r *NL80211) authorize(mac []byte) error {
	_, err := r.execute(unix.NL80211_CMD_SET_STATION, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(unix.NL80211_ATTR_MAC, mac)
		var upd [8]byte // struct nl80211_sta_flag_update {mask, set}
		binary.NativeEndian.PutUint32(upd[0:], 1<<unix.NL80211_STA_FLAG_AUTHORIZED)
		binary.NativeEndian.PutUint32(upd[4:], 1<<unix.NL80211_STA_FLAG_AUTHORIZED)
		ae.Bytes(unix.NL80211_ATTR_STA_FLAGS2, upd[:])
	})
	return err
}

// authAlgSAE is SAE's authentication algorithm number.
const authAlgSAE = 3

// authFrameFields are the fixed fields and body of an authentication frame.
type authFrameFields struct {
	alg, seq, status uint16
	body             []byte
}

// authFrame finds the authentication frame in an NL80211_CMD_AUTHENTICATE
// event (nil when there is none or it is cut short), or says that the
// kernel gave up waiting for the access point.
func authFrame(data []byte) (f *authFrameFields, timedOut bool) {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return nil, false
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NL80211_ATTR_TIMED_OUT:
			timedOut = true
		case unix.NL80211_ATTR_FRAME:
			b := ad.Bytes()
			const hdr = 24 // frame control, duration, three addresses, sequence control
			if len(b) < hdr+6 {
				continue
			}
			f = &authFrameFields{alg: binary.LittleEndian.Uint16(b[hdr:]), seq: binary.LittleEndian.Uint16(b[hdr+2:]),
				status: binary.LittleEndian.Uint16(b[hdr+4:]), body: append([]byte(nil), b[hdr+6:]...)}
		}
	}
	return f, timedOut
}

func (r *NL80211) waitAuthorized(ctx context.Context) error {
	for {
		m, err := r.nextEvent(ctx)
		if err != nil {
			return ErrWrongPassphrase // the firmware's handshake never finished
		}
		switch m.Header.Command {
		case unix.NL80211_CMD_PORT_AUTHORIZED:
			return nil
		case unix.NL80211_CMD_DISCONNECT:
			return ErrWrongPassphrase
		}
	}
}

// watchLink closes lost when the link ends. Under MFP an unprotected
// deauthentication or disassociation from the access point is not taken
// on trust (anyone can send one) but checked with an SA Query (IEEE
// 802.11-2020 11.13): an access point that still has our keys answers
// it; one that lost them (it restarted, or took a repeated association
// request for a new association) cannot, and we leave.
func (r *NL80211) watchLink(ctx context.Context, stop context.CancelFunc, lost chan struct{}, bss BSS, mfp bool) {
	defer close(lost)
	defer stop()
	for {
		m, err := r.nextEvent(ctx)
		if err != nil {
			return
		}
		switch m.Header.Command {
		case unix.NL80211_CMD_DISCONNECT:
			r.log.Info("wifi: disconnected", "reason", reasonCode(m.Data))
			return
		case unix.NL80211_CMD_UNPROT_DEAUTHENTICATE, unix.NL80211_CMD_UNPROT_DISASSOCIATE:
			if !mfp || !bytes.Equal(frameSource(m.Data), bss.BSSID) {
				continue
			}
			if r.saQuery(ctx, bss) {
				r.log.Info("wifi: unprotected deauthentication ignored: the access point answered our SA Query")
				continue
			}
			if ctx.Err() != nil {
				return
			}
			r.log.Info("wifi: the access point lost our keys (no SA Query answer); leaving")
			r.disconnect()
			return
		}
	}
}

// SA Query action frames (IEEE 802.11-2020 9.6.9).
const (
	categorySAQuery   = 8
	saQueryRequest    = 0
	saQueryResponse   = 1
	frameTypeAction   = 0x00d0 // frame control: management, subtype 13
	saQueryTries      = 3
	saQueryTryTimeout = 300 * time.Millisecond
)

// registerSAQuery asks for SA Query responses on r.fr.
func (r *NL80211) registerSAQuery() error {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.NL80211_ATTR_IFINDEX, uint32(r.ifi.Index))
	ae.Uint16(unix.NL80211_ATTR_FRAME_TYPE, frameTypeAction)
	ae.Bytes(unix.NL80211_ATTR_FRAME_MATCH, []byte{categorySAQuery, saQueryResponse})
	b, err := ae.Encode()
	if err != nil {
		return err
	}
	_, err = r.fr.Execute(genetlink.Message{Header: genetlink.Header{Command: unix.NL80211_CMD_REGISTER_FRAME, Version: r.family.Version}, Data: b},
		r.family.ID, netlink.Request|netlink.Acknowledge)
	return err
}

// saQuery sends SA Query requests to the access point (protected by the
// PTK, so only an access point holding it can read them) and says whether
// a response with our transaction identifier came back. Without r.fr it
// cannot ask and says yes: the link is kept, as MFP wants.
func (r *NL80211) saQuery(ctx context.Context, bss BSS) bool {
	if r.fr == nil {
		return true
	}
	var tid [2]byte
	rand.Read(tid[:])
	f := []byte{frameTypeAction & 0xff, frameTypeAction >> 8, 0, 0}
	f = append(append(append(f, bss.BSSID...), r.ifi.HardwareAddr...), bss.BSSID...)
	f = append(f, 0, 0, categorySAQuery, saQueryRequest, tid[0], tid[1])
	// The request goes out on r.fr too: cfg80211 sends the frame's reply
	// (its cookie) and TX status to the sending socket, which must not be
	// r.c, whose Execute calls would read them as their answers.
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.NL80211_ATTR_IFINDEX, uint32(r.ifi.Index))
	ae.Uint32(unix.NL80211_ATTR_WIPHY_FREQ, uint32(bss.FreqMHz))
	ae.Bytes(unix.NL80211_ATTR_FRAME, f)
	ae.Flag(unix.NL80211_ATTR_DONT_WAIT_FOR_ACK, true)
	req, err := ae.Encode()
	if err != nil {
		return false
	}
	for try := 0; try < saQueryTries && ctx.Err() == nil; try++ {
		if _, err := r.fr.Send(genetlink.Message{Header: genetlink.Header{Command: unix.NL80211_CMD_FRAME, Version: r.family.Version}, Data: req},
			r.family.ID, netlink.Request); err != nil {
			r.log.Warn("wifi: SA Query request not sent", "err", err)
			return false
		}
		r.fr.SetReadDeadline(time.Now().Add(saQueryTryTimeout))
		for {
			msgs, _, err := r.fr.Receive()
			if err != nil {
				break // the deadline (or a refused request): try again
			}
			for _, m := range msgs {
				if m.Header.Command != unix.NL80211_CMD_FRAME {
					continue // the request's reply, TX status
				}
				b := frameBody(m.Data)
				if len(b) >= 24+4 && bytes.Equal(b[10:16], bss.BSSID) && b[24] == categorySAQuery && b[25] == saQueryResponse &&
					b[26] == tid[0] && b[27] == tid[1] {
					return true
				}
			}
		}
	}
	return false
}

// frameBody is the NL80211_ATTR_FRAME of an event (nil when absent).
func frameBody(data []byte) []byte {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return nil
	}
	for ad.Next() {
		if ad.Type() == unix.NL80211_ATTR_FRAME {
			return append([]byte(nil), ad.Bytes()...)
		}
	}
	return nil
}

// frameSource is the transmitter (address 2) of an event's frame.
func frameSource(data []byte) net.HardwareAddr {
	if b := frameBody(data); len(b) >= 16 {
		return net.HardwareAddr(b[10:16])
	}
	return nil
}

func (r *NL80211) stopLink() {
	r.mu.Lock()
	if r.linkStop != nil {
		r.linkStop()
		r.linkStop = nil
	}
	r.mu.Unlock()
}

// Leave disconnects (if connected) and stops watching the link.
func (r *NL80211) Leave(ctx context.Context) error {
	r.stopLink()
	return r.disconnect()
}

func (r *NL80211) disconnect() error {
	_, err := r.execute(unix.NL80211_CMD_DISCONNECT, netlink.Acknowledge, nil)
	if errors.Is(err, unix.ENOTCONN) {
		return nil
	}
	return err
}

// Signal is the signal strength of the access point we are joined to.
func (r *NL80211) Signal(ctx context.Context) (int, bool) {
	st, err := r.wc.StationInfo(r.wifi)
	if err != nil || len(st) == 0 {
		return 0, false
	}
	return st[0].Signal, true
}

func (r *NL80211) drainEvents() {
	for {
		select {
		case <-r.events:
		default:
			return
		}
	}
}

func (r *NL80211) nextEvent(ctx context.Context) (genetlink.Message, error) {
	return r.nextEventOr(ctx, nil)
}

func (r *NL80211) nextEventOr(ctx context.Context, stop <-chan struct{}) (genetlink.Message, error) {
	select {
	case m, ok := <-r.events:
		if !ok {
			return m, ErrRadio
		}
		return m, nil
	case <-ctx.Done():
		return genetlink.Message{}, ctx.Err()
	case <-stop:
		return genetlink.Message{}, context.Canceled
	}
}

func connectStatus(data []byte) (status int, timedOut bool) {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return -1, false
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NL80211_ATTR_STATUS_CODE:
			status = int(ad.Uint16())
		case unix.NL80211_ATTR_TIMED_OUT:
			timedOut = true
		case unix.NL80211_ATTR_FRAME:
			// An NL80211_CMD_ASSOCIATE event carries the association
			// response: header, capability, status.
			if b := ad.Bytes(); len(b) >= 24+4 {
				status = int(binary.LittleEndian.Uint16(b[24+2:]))
			}
		}
	}
	return status, timedOut
}

func reasonCode(data []byte) int {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return -1
	}
	for ad.Next() {
		if ad.Type() == unix.NL80211_ATTR_REASON_CODE {
			return int(ad.Uint16())
		}
	}
	return 0
}

// eapolSocket is an EAPOLConn on an AF_PACKET datagram socket.
type eapolSocket struct{ c *packet.Conn }

func listenEAPOL(ifi *net.Interface) (*eapolSocket, error) {
	c, err := packet.Listen(ifi, packet.Datagram, ethPAE, nil)
	if err != nil {
		return nil, fmt.Errorf("EAPOL socket on %s: %w", ifi.Name, err)
	}
	return &eapolSocket{c}, nil
}

func (e *eapolSocket) Close() error { return e.c.Close() }

func (e *eapolSocket) ReadFrame(ctx context.Context) (net.HardwareAddr, []byte, error) {
	stop := context.AfterFunc(ctx, func() { e.c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 2048)
	n, addr, err := e.c.ReadFrom(buf)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, err
	}
	pa, _ := addr.(*packet.Addr)
	if pa == nil {
		return nil, nil, errors.New("EAPOL frame without a source address")
	}
	return pa.HardwareAddr, buf[:n], nil
}

func (e *eapolSocket) WriteFrame(ctx context.Context, to net.HardwareAddr, b []byte) error {
	_, err := e.c.WriteTo(b, &packet.Addr{HardwareAddr: to})
	return err
}

// linkUp sets IFF_UP on the interface (RTM_NEWLINK).
func linkUp(index int) error {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	var ifi [unix.SizeofIfInfomsg]byte
	binary.NativeEndian.PutUint32(ifi[4:], uint32(index))
	binary.NativeEndian.PutUint32(ifi[8:], unix.IFF_UP)
	binary.NativeEndian.PutUint32(ifi[12:], unix.IFF_UP)
	_, err = c.Execute(netlink.Message{Header: netlink.Header{Type: unix.RTM_NEWLINK, Flags: netlink.Request | netlink.Acknowledge}, Data: ifi[:]})
	if errors.Is(err, syscall.ERFKILL) {
		return fmt.Errorf("%w: blocked by rfkill", ErrRadio)
	}
	return err
}
