// Package wifitest judges the Wi-Fi boot test (scripts/wifi-test.sh): the
// guest (cmd/wifiguest) prints one "wifitest: key=value ..." line, and
// Check says whether every step it reports worked.
package wifitest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseResult returns the key=value pairs of the last "wifitest:" line in
// r (a console log; other lines and carriage returns are ignored).
func ParseResult(r io.Reader) (map[string]string, error) {
	var last string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if i := strings.Index(line, "wifitest:"); i >= 0 {
			last = line[i+len("wifitest:"):]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if last == "" {
		return nil, errors.New("no wifitest: line in the console log (the guest did not finish)")
	}
	out := map[string]string{}
	for _, f := range strings.Fields(last) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("wifitest line: %q is not key=value", f)
		}
		out[k] = v
	}
	return out, nil
}

// want is what a passing run reports; "*" means any non-empty value,
// a trailing "*" a prefix.
var want = []struct{ key, value, why string }{
	{"scan", "1", "the scan found the test network"},
	{"security", "wpa2", "the scan classified it as WPA2-Personal"},
	{"wrong", "wrong-passphrase", "a wrong passphrase is reported as such"},
	{"join", "1", "the right passphrase joined"},
	{"address", "192.168.77.*", "DHCP gave an address from the router"},
	{"stored", "1", "the joined network was stored"},
	{"http", "1", "HTTP worked over the link"},
	{"renew", "1", "the DHCP lease was renewed before it ran out"},
	{"lost", "lost", "stopping the access point was noticed"},
	{"rejoin", "1", "the box rejoined when it came back"},
	{"http2", "1", "HTTP worked after the rejoin"},
	{"sae_security", "wpa3", "the scan classified the SAE-only access point as WPA3"},
	{"sae_wrong", "wrong-passphrase", "a wrong passphrase on WPA3 is reported as such"},
	{"sae_join", "1", "the right passphrase joined the WPA3-only network"},
	{"sae_address", "192.168.77.*", "DHCP gave an address over WPA3"},
	{"sae_token", "1", "the access point's anti-clogging token was echoed"},
	{"sae_http", "1", "HTTP worked over WPA3"},
	{"crash_rejoin", "1", "the box rejoined an access point that crashed and came back at once (MFP: SA Query or beacon loss)"},
	{"h2e_rejoin", "1", "the stored network rejoined the hash-to-element-only access point"},
	{"h2e", "1", "that rejoin used hash-to-element"},
	{"h2e_http", "1", "HTTP worked after the H2E rejoin"},
	{"transition_rejoin", "1", "the stored network rejoined the transition-mode access point"},
	{"transition_sae", "1", "in transition mode the box chose SAE"},
	{"transition_http", "1", "HTTP worked in transition mode"},
	{"api_networks", "1", "atomicboxd's GET /api/wifi/networks listed the test network"},
	{"api_security", "wpa2/wpa3", "and classified the transition-mode access point as such"},
	{"api_wrong", "wrong-passphrase", "POST /api/wifi/join with a wrong passphrase ended in wrong-passphrase"},
	{"api_wrong_sentence", "1", "and GET /api/network said \"wrong passphrase\" in its message"},
	{"api_join", "1", "POST /api/wifi/join with the right passphrase joined"},
	{"api_address", "192.168.77.*", "the daemon got an address by DHCP"},
	{"api_stored", "1", "the daemon stored the joined network"},
	{"ok", "1", "the guest finished without an error"},
}

// Check returns an error naming every step that did not work.
func Check(res map[string]string) error {
	var errs []error
	for _, w := range want {
		got := res[w.key]
		ok := got == w.value
		if p, star := strings.CutSuffix(w.value, "*"); star {
			ok = got != "" && strings.HasPrefix(got, p)
		}
		if !ok {
			errs = append(errs, fmt.Errorf("%s=%q, want %q: %s", w.key, got, w.value, w.why))
		}
	}
	if e := res["error"]; e != "" {
		errs = append(errs, fmt.Errorf("guest error: %s", strings.ReplaceAll(e, "_", " ")))
	}
	return errors.Join(errs...)
}
