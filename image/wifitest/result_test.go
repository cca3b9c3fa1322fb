package wifitest

import (
	"strings"
	"testing"
)

const passing = "wifitest: scan=1 security=wpa2 wrong=wrong-passphrase join=1 join_s=7.2 address=192.168.77.17/24 stored=1 http=1 renew=1 renew_s=60 lost=lost rejoin=1 rejoin_s=2.5 http2=1 sae_security=wpa3 sae_wrong=wrong-passphrase sae_join=1 sae_join_s=3.1 sae_address=192.168.77.17/24 sae_token=1 sae_tokens=2 sae_http=1 crash_noticed_s=3.0 crash_sa_query=1 crash_rejoin=1 crash_rejoin_s=9.0 h2e_rejoin=1 h2e_rejoin_s=4.0 h2e=1 h2e_http=1 transition_rejoin=1 transition_rejoin_s=5.1 transition_sae=1 transition_http=1 api_networks=1 api_security=wpa2/wpa3 api_wrong=wrong-passphrase api_wrong_sentence=1 api_join=1 api_join_s=5.0 api_address=192.168.77.18/24 api_stored=1 ok=1 seconds=28.6"

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		reason, log string
		ok          bool
	}{
		{"every step worked", "[ 1.0] boot\r\n" + passing + "\r\n", true},
		{"no line: the guest died", "[ 1.0] Kernel panic\n", false},
		{"a wrong passphrase was taken for a missing network", strings.Replace(passing, "wrong=wrong-passphrase", "wrong=not-found", 1), false},
		{"the lease was not renewed", strings.Replace(passing, "renew=1", "renew=0", 1), false},
		{"no address from DHCP", strings.Replace(passing, "address=192.168.77.17/24", "address=", 1), false},
		{"WPA3 joined without the anti-clogging token path", strings.Replace(passing, "sae_token=1", "sae_token=0", 1), false},
		{"the H2E access point was joined by hunting and pecking", strings.Replace(passing, "h2e=1", "h2e=0", 1), false},
		{"WPA3 wrong passphrase taken for a missing network", strings.Replace(passing, "sae_wrong=wrong-passphrase", "sae_wrong=not-found", 1), false},
		{"transition mode joined by WPA2", strings.Replace(passing, "transition_sae=1", "transition_sae=0", 1), false},
		{"the daemon's message did not say wrong passphrase", strings.Replace(passing, "api_wrong_sentence=1", "api_wrong_sentence=0", 1), false},
		{"the guest gave up", "wifitest: scan=1 error=scan_never_found ok=0", false},
		{"the last line counts", passing + "\nwifitest: ok=0\n", false},
	} {
		res, err := ParseResult(strings.NewReader(tt.log))
		if err == nil {
			err = Check(res)
		}
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok=%v", tt.reason, err, tt.ok)
		}
	}
}

// FuzzParseResult: never panics; every pair it returns has a key.
func FuzzParseResult(f *testing.F) {
	f.Add(passing)
	f.Add("x\nwifitest: a= =b\n")
	f.Fuzz(func(t *testing.T, log string) {
		res, err := ParseResult(strings.NewReader(log))
		if err != nil {
			return
		}
		for k := range res {
			if k == "" {
				t.Fatal("empty key")
			}
		}
		Check(res)
	})
}
