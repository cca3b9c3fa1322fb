package box

import (
	"strings"
	"testing"
)

func TestParseDefaultRoute(t *testing.T) {
	const head = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	for _, tt := range []struct {
		reason, table string
		want          bool
	}{
		{"default route through a gateway", head + "wlan0\t00000000\t014DA8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n", true},
		{"only the link's own subnet", head + "wlan0\t004DA8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n", false},
		{"default route that is down", head + "eth0\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n", false},
		{"empty table", head, false},
		{"garbage", "x\ny z\n", false},
	} {
		got, _ := parseDefaultRoute(strings.NewReader(tt.table))
		if got != tt.want {
			t.Errorf("%s: %v, want %v", tt.reason, got, tt.want)
		}
	}
}
